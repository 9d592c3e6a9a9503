// `crane`: a kubectl-like client of Crane's HTTP API (and `crane policy eval`, which evaluates Rego locally like `opa eval`).
return await Crane.Cli.CraneCli.RunAsync(args);
