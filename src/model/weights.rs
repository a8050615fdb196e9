//! A trained model's parameters as a `.safetensors` file: an 8-byte little-endian header size,
//! a JSON header (`{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}}` plus
//! `__metadata__` holding the run's config), then the raw little-endian f32 data. PyTorch reads
//! it with `safetensors.torch.load_file`, NumPy with `safetensors.numpy.load_file`.
//!
//! Written by hand (~50 lines) rather than through burn-store, whose extra features would
//! rebuild burn for both targets; names are the module paths (`encoder.layers.0.weight`).

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;
use serde_json::{json, Map, Value};

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

/// The model's parameters as `.safetensors` bytes, with the run's config in the metadata.
pub async fn to_safetensors(
    model: &LabModel,
    config: &ExperimentConfig,
) -> Result<Vec<u8>, String> {
    let mut collect = Collect::default();
    model.visit(&mut collect);
    let mut header = Map::new();
    let config = serde_json::to_string(config).map_err(|e| e.to_string())?;
    header.insert(
        "__metadata__".into(),
        json!({ "format": "dml-lab", "config": config }),
    );
    let mut data = Vec::new();
    for (name, shape, tensor) in collect.params {
        let values: Vec<f32> = tensor
            .into_data_async()
            .await
            .map_err(|e| format!("reading {name}: {e:?}"))?
            .convert::<f32>()
            .try_to_vec()
            .map_err(|e| format!("reading {name}: {e:?}"))?;
        let begin = data.len();
        data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        let entry = json!({ "dtype": "F32", "shape": shape, "data_offsets": [begin, data.len()] });
        if header.insert(name.clone(), entry).is_some() {
            return Err(format!("two parameters are named {name:?}"));
        }
    }
    let mut text = Value::Object(header).to_string();
    // The data starts 8-byte aligned, as the format recommends.
    while (8 + text.len()) % 8 != 0 {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + data.len());
    out.extend((text.len() as u64).to_le_bytes());
    out.extend(text.as_bytes());
    out.extend(data);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelKind;

    /// Reads the header back: (name → (shape, begin, end)), metadata, data length.
    fn header(bytes: &[u8]) -> (Map<String, Value>, usize) {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let text = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
        let Value::Object(map) = serde_json::from_str(text).unwrap() else {
            panic!("header is not an object")
        };
        (map, bytes.len() - 8 - n)
    }

    #[test]
    fn every_parameter_is_written_with_its_path_shape_and_values() {
        let device = crate::backend::cpu();
        let cfg = ExperimentConfig {
            model: ModelKind::DmlAe,
            lsdim: 3,
            ..Default::default()
        };
        let shape = crate::data::ImageShape { rows: 4, cols: 4 };
        let model = LabModel::new(&cfg, shape, 4, None, &mut crate::model::HostRng::new(0, &device));
        let bytes = pollster::block_on(to_safetensors(&model, &cfg)).unwrap();
        let (map, data_len) = header(&bytes);
        let meta = &map["__metadata__"];
        assert_eq!(meta["format"], "dml-lab");
        let restored = ExperimentConfig::from_json(meta["config"].as_str().unwrap()).unwrap();
        assert_eq!(restored, cfg);

        // Offsets tile the data exactly, and the sizes match the shapes.
        let mut spans: Vec<(usize, usize, usize)> = map
            .iter()
            .filter(|(k, _)| *k != "__metadata__")
            .map(|(_, v)| {
                let shape: Vec<usize> = serde_json::from_value(v["shape"].clone()).unwrap();
                let o = &v["data_offsets"];
                let (b, e) = (
                    o[0].as_u64().unwrap() as usize,
                    o[1].as_u64().unwrap() as usize,
                );
                (b, e, shape.iter().product::<usize>() * 4)
            })
            .collect();
        spans.sort();
        assert_eq!(spans.first().unwrap().0, 0);
        assert_eq!(spans.last().unwrap().1, data_len);
        for w in spans.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
        assert!(spans.iter().all(|(b, e, size)| e - b == *size));
        // Both the encoder and the decoder are there, by path.
        let names: Vec<&String> = map.keys().collect();
        assert!(names.iter().any(|n| n.starts_with("encoder.")), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with("decoder.")), "{names:?}");
        // The total is every parameter of the model.
        assert_eq!(data_len, model.num_params() * 4);
    }
}
