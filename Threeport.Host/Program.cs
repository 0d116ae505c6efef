using Threeport.Host.Cli;

// tptctl: `tptctl up` runs the control plane, every other verb is a client of its API (Cli/TptctlRoot.cs).
return await TptctlRoot.InvokeAsync(args);
