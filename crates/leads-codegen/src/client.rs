//! The client: progenitor's builder-style generator, pretty-printed.

use openapiv3::OpenAPI;

use crate::CodegenError;

/// Generates the client's source: progenitor's `Client`, its builders and the `types` module.
///
/// The output is deterministic, pretty-printed Rust, ready to be `include!`d or committed
/// as a snapshot.
pub fn generate(spec: &OpenAPI) -> Result<String, CodegenError> {
    let mut generator = progenitor_impl::Generator::new(&settings());
    // progenitor asserts on some unsupported shapes; turn a panic into an error naming it.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(spec)
    }))
    .map_err(|panic| CodegenError::Client(panic_message(&panic)))?
    .map_err(|e| CodegenError::Client(e.to_string()))?;
    let mut file: syn::File = syn::parse2(tokens)?;
    crate::nullable::Rules::of(spec).apply(&mut file, crate::nullable::Side::Client)?;
    crate::array_bounds::ArrayBounds::of(spec).apply(&mut file, crate::nullable::Side::Client)?;
    crate::finish(quote::ToTokens::into_token_stream(file))
}

/// progenitor's settings for the client. The mocks are generated with the same, so that
/// they name the client's types.
pub(crate) fn settings() -> progenitor_impl::GenerationSettings {
    let mut settings = progenitor_impl::GenerationSettings::default();
    settings
        .with_interface(progenitor_impl::InterfaceStyle::Builder)
        .with_tag(progenitor_impl::TagStyle::Merged)
        // The client crate implements the hooks itself: it checks each request against
        // the spec before sending it, and sends it through its own `exec`, which retries
        // by the `RetryPolicy` the client carries (progenitor's inner type).
        .with_hooks(progenitor_impl::HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::RetryPolicy))
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq");
    settings
}

pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the generator panicked".to_owned())
}
