// The tests drive real Linux binaries (/bin/sh, /usr/bin/env) and inspect /proc to prove killed processes are gone.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
