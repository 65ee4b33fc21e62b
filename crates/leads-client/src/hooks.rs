//! The client's hooks into every generated operation.

use progenitor_client::{ClientHooks, Error, OperationInfo};

use crate::Client;

impl ClientHooks<()> for Client {
    /// Refuses, before it is sent, a request that breaks a rule of the spec.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        crate::validate::check(request, info.operation_id).map_err(Error::InvalidRequest)
    }
}
