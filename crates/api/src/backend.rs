//! The one place that names a Burn backend: `--backend` and `--dtype` become one autodiff
//! `Device`, which every other part of the program receives.
//!
//! GPU backends are cargo features of this crate (`wgpu`, `cuda`), off by default. Every
//! backend is opened here, once, and a missing driver or an unsupported dtype becomes an
//! error that says what to do, never a panic deep inside Burn.

use std::sync::Mutex;

use anyhow::{bail, ensure, Context};
use burn::tensor::{Device, FloatDType};
use clap::ValueEnum;
use overparam_model::Activation;
use serde::{Deserialize, Serialize};

/// Compute backend, chosen at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Burn's `flex` CPU backend (pure Rust, SIMD, multi-threaded). The default: see README.
    Flex,
    /// Burn's `ndarray` CPU backend (deprecated upstream in 0.22, kept for comparison).
    Ndarray,
    /// Burn's `wgpu` GPU backend: Vulkan on Linux (any Vulkan driver, Mesa's software one
    /// included), Metal on macOS, DirectX 12 or Vulkan on Windows. Build with `--features wgpu`.
    Wgpu,
    /// Burn's CUDA backend on NVIDIA GPU 0. Build with `--features cuda` on a machine with
    /// the CUDA toolkit.
    Cuda,
}

impl BackendKind {
    /// Whether the backend computes on the CPU (flex, ndarray): where the host kernels of
    /// `overparam-cpu` (the fused GD/SGD step, the symmetric-product NTK) apply.
    pub fn is_cpu(self) -> bool {
        matches!(self, BackendKind::Flex | BackendKind::Ndarray)
    }

    /// Every backend the command line accepts, built into this binary or not.
    pub const ALL: [BackendKind; 4] = [
        BackendKind::Flex,
        BackendKind::Ndarray,
        BackendKind::Wgpu,
        BackendKind::Cuda,
    ];

    /// The name `--backend` takes.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }

    /// Whether this binary was built with the backend.
    pub fn is_built(self) -> bool {
        match self {
            BackendKind::Flex | BackendKind::Ndarray => true,
            BackendKind::Wgpu => cfg!(feature = "wgpu"),
            BackendKind::Cuda => cfg!(feature = "cuda"),
        }
    }
}

pub use overparam_sweep::dtype::DTypeKind;

/// Burn's float dtype for `dtype`.
fn float_dtype(dtype: DTypeKind) -> FloatDType {
    match dtype {
        DTypeKind::F32 => FloatDType::F32,
        DTypeKind::F64 => FloatDType::F64,
    }
}

/// The autodiff device for `backend` with default float dtype `dtype`.
///
/// Burn fixes a device's dtype at its first use, so the device is configured once per process
/// and backend and handed out again afterwards (seeds trained side by side share it); asking
/// for the same backend in another dtype later in the process is an error. A backend not
/// compiled in, a device that cannot be opened, or a dtype it cannot compute in is an error
/// that says what to do.
pub fn autodiff_device(backend: BackendKind, dtype: DTypeKind) -> anyhow::Result<Device> {
    let mut opened = OPENED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, configured, device)) = opened.iter().find(|(b, _, _)| *b == backend) {
        ensure!(
            *configured == dtype,
            "the {} device is already computing in {} in this process; it cannot switch to {} \
             (Burn fixes a device's dtype at its first use): keep one dtype per process, or \
             compute the other on another backend (the CPU has two: flex and ndarray)",
            backend.name(),
            configured.name(),
            dtype.name()
        );
        return Ok(device.clone());
    }
    let mut device = open_device(backend)?;
    if !device.supports_dtype(float_dtype(dtype)) {
        bail!(
            "the {} device ({}) does not support {}; its dtypes: {}. Try --dtype f32",
            backend.name(),
            device_name(&device),
            dtype.name(),
            dtype_names(&supported_dtypes(&device)),
        );
    }
    device.configure(float_dtype(dtype)).with_context(|| {
        format!(
            "configuring the {} device for {}",
            backend.name(),
            dtype.name()
        )
    })?;
    let device = device.autodiff();
    opened.push((backend, dtype, device.clone()));
    Ok(device)
}

/// The devices opened so far in this process, with the dtype each was configured for.
static OPENED: Mutex<Vec<(BackendKind, DTypeKind, Device)>> = Mutex::new(Vec::new());

/// The dtype `backend`'s device computes in, once [`autodiff_device`] has opened it in this
/// process (a later request must use the same).
pub fn configured_dtype(backend: BackendKind) -> Option<DTypeKind> {
    OPENED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(b, _, _)| *b == backend)
        .map(|(_, dtype, _)| *dtype)
}

/// The device behind `backend`, opened (so that a missing driver shows up here) but not yet
/// configured: its dtype can still be chosen.
pub fn open_device(backend: BackendKind) -> anyhow::Result<Device> {
    match backend {
        BackendKind::Flex => Ok(Device::flex()),
        #[allow(deprecated)] // burn-ndarray is deprecated upstream; offered for comparison
        BackendKind::Ndarray => Ok(Device::ndarray()),
        BackendKind::Wgpu => gpu::wgpu_device(),
        BackendKind::Cuda => gpu::cuda_device(),
    }
}

/// The dtypes `device` can compute in.
pub fn supported_dtypes(device: &Device) -> Vec<DTypeKind> {
    DTypeKind::ALL
        .into_iter()
        .filter(|dtype| device.supports_dtype(float_dtype(*dtype)))
        .collect()
}

/// How the hardware behind `device` names itself (a GPU's adapter name; "CPU" for the CPU
/// backends), for `overparam backends` and `summary.json`.
pub fn device_name(device: &Device) -> String {
    gpu::adapter_name(device).unwrap_or_else(|| {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        format!("CPU ({threads} threads)")
    })
}

/// The worst error of `activation`'s σ and σ′ computed on `device`, over a few arguments in
/// [−20, 20], against the host's f64 formulas, relative to the largest |value|.
///
/// Some devices compute `exp`/`log` in lower precision than the dtype (Mesa's software Vulkan
/// device through wgpu returns wrong values in f64: measured error of order 1), so the commands
/// ask before running an activation that uses them.
pub fn activation_error(device: &Device, activation: Activation) -> f64 {
    use burn::tensor::{Tensor, TensorData};
    let arguments = [-20.0, -3.5, -0.25, 0.0, 0.7, 2.0, 9.0, 19.5];
    let values = |tensor: Tensor<1>| -> Vec<f64> {
        tensor
            .into_data()
            .convert::<f64>()
            .try_to_vec::<f64>()
            .unwrap_or_default()
    };
    let input = || Tensor::<1>::from_data(TensorData::from(arguments), device);
    // max |got − want| / max |want|: normwise, as a value near 0 (softplus(−20) ≈ 2e-9) has no
    // relative accuracy in f32 on any backend.
    let relative = |got: Vec<f64>, want: &dyn Fn(f64) -> f64| {
        if got.len() != arguments.len() {
            return f64::INFINITY;
        }
        let scale = arguments.iter().map(|&z| want(z).abs()).fold(0.0, f64::max);
        let error = arguments
            .iter()
            .zip(got)
            .map(|(&z, g)| (g - want(z)).abs())
            .fold(0.0, f64::max);
        error / scale.max(f64::MIN_POSITIVE)
    };
    let value = relative(values(activation.apply(input())), &|z| activation.value(z));
    let slope = relative(values(activation.derivative(input())), &|z| {
        activation.slope(z)
    });
    value.max(slope)
}

/// Fails where `device` cannot compute `activation` to `dtype`'s precision (within 1e3 units
/// of roundoff); see [`activation_error`].
pub fn require_accurate_activation(
    device: &Device,
    dtype: DTypeKind,
    activation: Activation,
) -> anyhow::Result<()> {
    let error = activation_error(device, activation);
    let bar = match dtype {
        DTypeKind::F32 => 1e3 * f64::from(f32::EPSILON),
        DTypeKind::F64 => 1e3 * f64::EPSILON,
    };
    if error.is_nan() || error > bar {
        bail!(
            "the {} device computes the {activation:?} activation wrongly in {} (relative error \
             {error:.1e} on a self-test against the host, bar {bar:.0e}: its exp/log are not \
             {} accurate); use --dtype f32 or --backend flex",
            device_name(device),
            dtype.name(),
            dtype.name()
        );
    }
    Ok(())
}

fn dtype_names(dtypes: &[DTypeKind]) -> String {
    let names: Vec<_> = dtypes.iter().map(|dtype| dtype.name()).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// What `overparam backends` says about one backend.
#[derive(Debug, Serialize)]
pub struct BackendReport {
    /// The `--backend` name.
    pub backend: BackendKind,
    /// Whether this binary was built with it.
    pub built: bool,
    /// The device it opens, by the hardware's own name; `None` where it did not open.
    pub device: Option<String>,
    /// The dtypes that device computes in (empty where it did not open).
    pub dtypes: Vec<DTypeKind>,
    /// Why it is not usable here, where it is not.
    pub problem: Option<String>,
}

impl BackendReport {
    /// Opens `backend` (if built) and asks its device what it supports.
    pub fn probe(backend: BackendKind) -> BackendReport {
        let opened = if backend.is_built() {
            open_device(backend)
        } else {
            Err(not_built(backend))
        };
        match opened {
            Ok(device) => BackendReport {
                backend,
                built: true,
                device: Some(device_name(&device)),
                dtypes: supported_dtypes(&device),
                problem: None,
            },
            Err(error) => BackendReport {
                backend,
                built: backend.is_built(),
                device: None,
                dtypes: Vec::new(),
                problem: Some(format!("{error:#}")),
            },
        }
    }

    /// One line of the `overparam backends` table.
    pub fn line(&self) -> String {
        let status = match (&self.device, &self.problem) {
            (Some(device), _) => format!("{device}; dtypes: {}", dtype_names(&self.dtypes)),
            (None, Some(problem)) => problem.clone(),
            (None, None) => "unavailable".to_string(),
        };
        let built = if self.built { "built in" } else { "not built" };
        format!("{:<8} {:<10} {status}", self.backend.name(), built)
    }
}

fn not_built(backend: BackendKind) -> anyhow::Error {
    anyhow::anyhow!(
        "the {name} backend is not built into this binary; rebuild with \
         `cargo build --release -p overparam-runner --features {name}`{extra}",
        name = backend.name(),
        extra = match backend {
            BackendKind::Cuda => " on a machine with the CUDA toolkit (nvcc on PATH)",
            _ => "",
        }
    )
}

/// The GPU backends: each compiled only with its feature; without it, asking for one is the
/// `not_built` error.
mod gpu {
    use super::*;

    #[cfg(feature = "wgpu")]
    pub fn wgpu_device() -> anyhow::Result<Device> {
        use burn::tensor::wgpu::WgpuBackend;
        // On Linux the graphics API is pinned to Vulkan: left to choose, wgpu falls back to
        // OpenGL ES where no Vulkan driver exists, and on a headless machine that hangs
        // instead of failing. Elsewhere (Metal, DirectX 12) the runtime picks.
        let api = if cfg!(target_os = "linux") {
            WgpuBackend::Vulkan
        } else {
            WgpuBackend::Auto
        };
        let opened = without_panic_output(|| Device::wgpu_options().graphics_api(api).init());
        match opened {
            Ok(Ok(device)) => Ok(device),
            Ok(Err(error)) => Err(no_wgpu_device(&format!("{error}"))),
            Err(panic) => Err(no_wgpu_device(&panic)),
        }
    }

    #[cfg(feature = "wgpu")]
    fn no_wgpu_device(reason: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "no usable wgpu device ({reason}). On Linux wgpu needs a Vulkan driver: your GPU \
             vendor's, or without a GPU Mesa's software one \
             (apt-get install mesa-vulkan-drivers libvulkan1); `vulkaninfo --summary` lists \
             what Vulkan sees. Or use --backend flex"
        )
    }

    #[cfg(not(feature = "wgpu"))]
    pub fn wgpu_device() -> anyhow::Result<Device> {
        Err(not_built(BackendKind::Wgpu))
    }

    #[cfg(feature = "cuda")]
    pub fn cuda_device() -> anyhow::Result<Device> {
        let device = Device::cuda(0usize);
        // Burn opens the CUDA context lazily and panics where there is no driver or GPU:
        // open it here and turn that into an error.
        let probe = device.clone();
        match without_panic_output(move || probe.supports_dtype(FloatDType::F32)) {
            Ok(_) => Ok(device),
            Err(reason) => {
                bail!("no usable CUDA device ({reason}); check `nvidia-smi`, or use --backend flex")
            }
        }
    }

    #[cfg(not(feature = "cuda"))]
    pub fn cuda_device() -> anyhow::Result<Device> {
        Err(not_built(BackendKind::Cuda))
    }

    /// The adapter's own name for a GPU device; `None` for the CPU backends.
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
    pub fn adapter_name(device: &Device) -> Option<String> {
        without_panic_output(|| device.identity())
            .ok()
            .flatten()
            .map(|identity| identity.name)
    }

    /// The adapter's own name for a GPU device; `None` for the CPU backends.
    #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
    pub fn adapter_name(_device: &Device) -> Option<String> {
        None
    }

    /// Runs `probe`, returning its panic message as an error instead of printing it.
    #[cfg(any(feature = "wgpu", feature = "cuda"))]
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
}
