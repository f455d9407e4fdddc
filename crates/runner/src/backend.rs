//! The one place that names a Burn backend: `--backend` and `--dtype` become one autodiff
//! `Device`, which every other part of the program receives.

use anyhow::{bail, Context};
use burn::tensor::{Device, FloatDType};
use clap::ValueEnum;
use serde::Serialize;

/// Compute backend, chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Burn's `flex` CPU backend (pure Rust, SIMD, multi-threaded). The default: see README.
    Flex,
    /// Burn's `ndarray` CPU backend (deprecated upstream in 0.22, kept for comparison).
    Ndarray,
    /// Burn's `wgpu` GPU backend (build with `--features wgpu`).
    Wgpu,
}

/// Floating-point precision of every tensor in the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DTypeKind {
    /// 32-bit floats.
    F32,
    /// 64-bit floats (for gradient checks and runs to very small losses).
    F64,
}

impl DTypeKind {
    fn float_dtype(self) -> FloatDType {
        match self {
            DTypeKind::F32 => FloatDType::F32,
            DTypeKind::F64 => FloatDType::F64,
        }
    }
}

/// The autodiff device for `backend` with default float dtype `dtype`.
///
/// Must be called once per process, before any tensor exists on that backend: Burn fixes a
/// device's dtype at its first use. A backend not compiled in, or a dtype the device cannot
/// compute in, is an error that says what to do.
pub fn autodiff_device(backend: BackendKind, dtype: DTypeKind) -> anyhow::Result<Device> {
    let mut device = base_device(backend)?;
    let float_dtype = dtype.float_dtype();
    if !device.supports_dtype(float_dtype) {
        bail!("the {backend:?} device ({device:?}) does not support {dtype:?}; try --dtype f32");
    }
    device
        .configure(float_dtype)
        .with_context(|| format!("configuring the {backend:?} device for {dtype:?}"))?;
    Ok(device.autodiff())
}

fn base_device(backend: BackendKind) -> anyhow::Result<Device> {
    match backend {
        BackendKind::Flex => Ok(Device::flex()),
        #[allow(deprecated)] // burn-ndarray is deprecated upstream; offered for comparison
        BackendKind::Ndarray => Ok(Device::ndarray()),
        BackendKind::Wgpu => wgpu_device(),
    }
}

#[cfg(feature = "wgpu")]
fn wgpu_device() -> anyhow::Result<Device> {
    let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
    // Burn opens the adapter lazily and panics when there is none: open it here, once, and
    // turn that into an error that says what to do.
    let probe = device.clone();
    match without_panic_output(move || probe.supports_dtype(FloatDType::F32)) {
        Ok(_) => Ok(device),
        Err(reason) => bail!(
            "no usable wgpu device ({reason}); without a GPU, install a Vulkan driver such as \
             Mesa's software one (apt-get install mesa-vulkan-drivers libvulkan1), or use \
             --backend flex"
        ),
    }
}

/// Runs `probe`, returning its panic message as an error instead of printing it.
#[cfg(feature = "wgpu")]
fn without_panic_output<T>(probe: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(probe));
    std::panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_else(|| "the device failed to open".to_string())
    })
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> anyhow::Result<Device> {
    bail!(
        "the wgpu backend is not built into this binary; rebuild with \
         `cargo build --release -p overparam-runner --features wgpu`"
    )
}
