//! A trained model's parameters as a `.safetensors` file (Hugging Face's format, written by its
//! `safetensors` crate), with the run's config in the metadata. PyTorch reads it with
//! `safetensors.torch.load_file`, NumPy with `safetensors.numpy.load_file`; names are the
//! module paths (`encoder.hidden.0.weight`).

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use safetensors::tensor::{Dtype, TensorView};

use super::LabModel;
use crate::config::ExperimentConfig;

/// Collects every float parameter with its module path.
#[derive(Default)]
struct Collect {
    path: Vec<String>,
    params: Vec<(String, Vec<usize>, Tensor<1>)>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let shape = tensor.dims().to_vec();
        let n: usize = shape.iter().product();
        let name = self.path.join(".");
        self.params.push((name, shape, tensor.reshape([n])));
    }
}

/// The model's parameters as `.safetensors` bytes, with the run's config in the metadata
/// (`format`: "dml-lab", `config`: the run's config as JSON).
pub async fn to_safetensors(
    model: &LabModel,
    config: &ExperimentConfig,
) -> Result<Vec<u8>, String> {
    let mut collect = Collect::default();
    model.visit(&mut collect);
    let mut tensors = Vec::with_capacity(collect.params.len());
    for (name, shape, tensor) in collect.params {
        let values: Vec<f32> = tensor
            .into_data_async()
            .await
            .map_err(|e| format!("reading {name}: {e:?}"))?
            .convert::<f32>()
            .try_to_vec()
            .map_err(|e| format!("reading {name}: {e:?}"))?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        tensors.push((name, shape, bytes));
    }
    let mut names: Vec<&String> = tensors.iter().map(|(n, _, _)| n).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("two parameters are named {:?}", w[0]));
    }
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .map_err(|e| format!("{name}: {e:?}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let config = serde_json::to_string(config).map_err(|e| e.to_string())?;
    let metadata = [
        ("format".to_string(), "dml-lab".to_string()),
        ("config".to_string(), config),
    ]
    .into_iter()
    .collect();
    safetensors::tensor::serialize(views, Some(metadata)).map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelKind;

    #[test]
    fn every_parameter_is_written_with_its_path_shape_and_values() {
        let device = crate::backend::cpu();
        let cfg = ExperimentConfig {
            model: ModelKind::DmlAe,
            lsdim: 3,
            ..Default::default()
        };
        let shape = crate::data::ImageShape { rows: 4, cols: 4 };
        let model = LabModel::new(
            &cfg,
            shape,
            4,
            None,
            &mut crate::model::HostRng::new(0, &device),
        );
        let bytes = pollster::block_on(to_safetensors(&model, &cfg)).unwrap();
        // Read back by the safetensors crate's own reader (what other tools do).
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let info = meta.metadata().as_ref().expect("metadata");
        assert_eq!(info.get("format").map(String::as_str), Some("dml-lab"));
        let restored = ExperimentConfig::from_json(&info["config"]).unwrap();
        assert_eq!(restored, cfg);
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut names = file.names();
        names.sort();
        // Both the encoder and the decoder are there, by path, with their shapes and values.
        assert!(names.iter().any(|n| n.starts_with("encoder.")), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("decoder.")), "{names:?}");
        let mut visitor = Collect::default();
        model.visit(&mut visitor);
        let mut total = 0;
        for (name, shape, tensor) in visitor.params {
            let view = file.tensor(&name).unwrap();
            assert_eq!(view.dtype(), Dtype::F32);
            assert_eq!(view.shape(), &shape[..], "{name}");
            let want: Vec<f32> = tensor.into_data().convert::<f32>().try_to_vec().unwrap();
            let got: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            assert_eq!(got, want, "{name}");
            total += got.len();
        }
        // The total is every parameter of the model.
        assert_eq!(total, model.num_params());
    }
}
