using System.Runtime.CompilerServices;

// The YAML writer's round-trip guard is internal; its test feeds it tampered text to prove it throws.
[assembly: InternalsVisibleTo("CapiCiliumAddon.Rendering.Tests")]
