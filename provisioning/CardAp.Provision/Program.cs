using CardAp.Provision;

return await ProvisionTool.RunAsync(args);
