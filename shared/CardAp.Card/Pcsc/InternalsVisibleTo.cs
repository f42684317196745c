using System.Runtime.CompilerServices;

// The PC/SC tests check the native struct layouts, which stay internal.
[assembly: InternalsVisibleTo("CardAp.Pcsc.Tests")]
