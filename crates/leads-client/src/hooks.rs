//! The client's hooks into every generated operation.

use progenitor_client::{ClientHooks, Error, OperationInfo};

use crate::{Client, RetryPolicy};

impl ClientHooks<RetryPolicy> for Client {
    /// Refuses, before it is sent, a request that breaks a rule of the spec.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        crate::validate::check(request, info.operation_id).map_err(Error::InvalidRequest)
    }

    /// Sends the request, retrying transient failures as the client's policy says.
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        crate::retry::execute(self, request).await
    }
}
