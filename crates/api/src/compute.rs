//! Where a run computes: a backend and a dtype, opened as one checked device.

use burn::tensor::Device;
use overparam_model::MlpConfig;
use serde::{Deserialize, Serialize};

use crate::backend::{autodiff_device, require_accurate_activation, BackendKind, DTypeKind};

/// A backend and the dtype of every tensor on it (`--backend`, `--dtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compute {
    /// The Burn backend.
    pub backend: BackendKind,
    /// The float precision.
    pub dtype: DTypeKind,
}

impl Compute {
    /// The autodiff device for this backend and dtype (opened once per process, see
    /// [`autodiff_device`]), checked to compute `model`'s activation to the dtype's precision.
    pub fn device(&self, model: &MlpConfig) -> anyhow::Result<Device> {
        let device = autodiff_device(self.backend, self.dtype)?;
        require_accurate_activation(&device, self.dtype, model.activation)?;
        Ok(device)
    }
}
