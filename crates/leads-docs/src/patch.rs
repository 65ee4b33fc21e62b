//! The edits that keep Redoc's vendored bundle from touching the network.
//!
//! Shared by the build script, which applies them to `assets/redoc.standalone.js`, and by
//! the library, so that refreshing the bundle can check them before replacing the file.

/// `(upstream text, replacement, why)`. Each upstream text must occur exactly once, so an
/// update of Redoc that moves things around fails loudly instead of going online.
pub const OFFLINE_PATCHES: &[(&str, &str, &str)] = &[(
    r#"src:"https://cdn.redoc.ly/redoc/logo-mini.svg""#,
    r#"src:"data:,""#,
    "the sidebar's 'API docs by Redocly' badge loads its logo from a CDN; an empty data: \
     image fails to decode, so Redoc hides the logo and keeps the text",
)];

/// Why the vendored bundle cannot be made offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    /// The upstream text that was looked for.
    pub pattern: &'static str,
    /// How often it occurs in the bundle (not exactly once).
    pub occurrences: usize,
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the Redoc bundle holds `{}` {} times instead of once; review the offline patches",
            self.pattern, self.occurrences
        )
    }
}

impl std::error::Error for PatchError {}

/// Applies [`OFFLINE_PATCHES`] to Redoc's standalone bundle.
pub fn offline_bundle(upstream: &str) -> Result<String, PatchError> {
    let mut bundle = upstream.to_owned();
    for (pattern, replacement, _why) in OFFLINE_PATCHES {
        let occurrences = bundle.matches(pattern).count();
        if occurrences != 1 {
            return Err(PatchError {
                pattern,
                occurrences,
            });
        }
        bundle = bundle.replacen(pattern, replacement, 1);
    }
    Ok(bundle)
}
