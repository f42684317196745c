namespace CardAp.Shared.Services;

/// <summary>
/// The schemas of the services built into the edge. Attendance services have none here: master
/// data defines them per municipality (<see cref="AttendanceSchemas"/>).
/// </summary>
public static class ServiceSchemas
{
    /// <summary>Library, shelter reception, local points and seal registration, in the edge's order.</summary>
    public static IReadOnlyList<ServiceSchema> BuiltIn { get; } =
    [
        LibrarySchema.Schema,
        ShelterSchema.Schema,
        PointsSchema.Schema,
        SealSchema.Schema,
    ];

    /// <summary>The built-in service with this id, or null.</summary>
    public static ServiceSchema? FindBuiltIn(string id) => BuiltIn.FirstOrDefault(s => s.Id == id);
}

/// <summary>Library (図書館).</summary>
public static class LibrarySchema
{
    public const string Id = "library";
    public const string Checkout = "checkout";
    public const string Return = "return";
    public const string Renew = "renew";

    public const string LoanLimit = "loanLimit";
    public const string LoanPeriodDays = "loanPeriodDays";
    public const string RenewalLimit = "renewalLimit";

    // Loans run offline and at the self-checkout machine: the library card is not a key to anything
    // of value, and a branch library must keep lending when the network is down.
    public static ServiceSchema Schema { get; } = new(
        Id,
        "Library",
        "図書館",
        [
            SettingDefinition.Integer(LoanLimit, 10, 1, 100,
                "Books a resident may have on loan at once.",
                "一人が同時に借りられる資料の冊数。"),
            SettingDefinition.Integer(LoanPeriodDays, 14, 1, 365,
                "Days a loan or a renewal runs, counted from the day of checkout or renewal.",
                "貸出・延長の期間（日数）。貸出日または延長日から数えます。"),
            SettingDefinition.Integer(RenewalLimit, 1, 0, 10,
                "Times one loan may be renewed.",
                "1件の貸出を延長できる回数。"),
        ],
        [.. new[] { Checkout, Return, Renew }.Select(name => new OperationSchema(name, OfflinePolicy.Allowed, KioskAllowed: true))]);
}

/// <summary>Shelter reception (避難者受付).</summary>
public static class ShelterSchema
{
    public const string Id = "shelter";
    public const string Checkin = "checkin";
    public const string Checkout = "checkout";

    // A shelter opens when the network is most likely down, and only staff receive evacuees.
    public static ServiceSchema Schema { get; } = new(
        Id,
        "Shelter reception",
        "避難者受付",
        [],
        [
            new OperationSchema(Checkin, OfflinePolicy.Allowed, KioskAllowed: false),
            new OperationSchema(Checkout, OfflinePolicy.Allowed, KioskAllowed: false),
        ]);
}

/// <summary>Local points (地域ポイント).</summary>
public static class PointsSchema
{
    public const string Id = "points";
    public const string Accrue = "accrue";
    public const string Redeem = "redeem";

    public const string OfflineRedeemLimitPerDay = "offlineRedeemLimitPerDay";
    public const string MaxBalance = "maxBalance";

    public const long MaxPointsPerOperation = 100_000;

    // Redemption spends value, so offline it is Limited: the module caps what one card may redeem
    // per day while terminals cannot see each other's records. Accrual is staff-only (a kiosk could
    // mint points); redemption at a kiosk is guarded by the PIN.
    public static ServiceSchema Schema { get; } = new(
        Id,
        "Local points",
        "地域ポイント",
        [
            SettingDefinition.Integer(OfflineRedeemLimitPerDay, 500, 0, MaxPointsPerOperation,
                "Points one card may redeem per day (Japan time) while the hub is unreachable; 0 stops offline redemption.",
                "ハブに接続できない間に1枚のカードが1日（日本時間）に利用できるポイント数。0 でオフライン中の利用を停止します。"),
            SettingDefinition.Integer(MaxBalance, 1_000_000, 1, 1_000_000_000,
                "Highest balance a card may hold; accruals beyond it are refused.",
                "1枚のカードが保有できる残高の上限。これを超える付与は受け付けません。"),
        ],
        [
            new OperationSchema(Accrue, OfflinePolicy.Allowed, KioskAllowed: false),
            new OperationSchema(Redeem, OfflinePolicy.Limited, KioskAllowed: true),
        ]);
}

/// <summary>Seal registration card (印鑑登録証).</summary>
public static class SealSchema
{
    public const string Id = "seal";
    public const string RequestCertificate = "request-certificate";

    public const string FeePerCopy = "feePerCopy";

    /// <summary>The status of a valid registration in master rows of kind sealRegistration (the edge and the hub's check read it).</summary>
    public const string RegisteredStatus = "registered";

    // OnlineOnly by default: the counter could record the request offline, but the certificate
    // itself is printed from the resident information system, and the registration may have
    // been abolished there since the last sync; a certificate of a registration that no longer
    // exists is worse than asking the resident to wait.
    public static ServiceSchema Schema { get; } = new(
        Id,
        "Seal registration",
        "印鑑登録証",
        [
            SettingDefinition.Integer(FeePerCopy, 300, 0, 10_000,
                "Fee in yen per certificate copy (手数料), shown to the clerk or on the kiosk.",
                "証明書1通あたりの手数料（円）。窓口またはキオスクに表示します。"),
        ],
        [new OperationSchema(RequestCertificate, OfflinePolicy.OnlineOnly, KioskAllowed: true)]);
}
