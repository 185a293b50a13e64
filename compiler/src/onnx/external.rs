//! External tensor data: bytes stored in a file beside the model (`data_location = EXTERNAL`).
//!
//! A model file is untrusted input, so its `location` may only name a file inside the model's
//! folder: relative, without `..`, and still inside the folder once symlinks are resolved.

use super::proto::StringStringEntryProto;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// Reads exactly `bytes` bytes of external data described by `entries`.
pub(crate) fn read(entries: &[StringStringEntryProto], model_dir: Option<&Path>, bytes: usize) -> Result<Vec<u8>> {
    let field = |key: &str| entries.iter().find(|e| e.key == key).map(|e| e.value.as_str());
    let location = field("location").ok_or_else(|| Error::invalid("external data without a 'location'"))?;
    let offset = parse_number(field("offset"), "offset")?.unwrap_or(0);
    let length = parse_number(field("length"), "length")?;
    if let Some(length) = length {
        if length != bytes as u64 {
            return Err(Error::invalid(format!(
                "external data '{location}' has length {length}, but the tensor needs {bytes} bytes"
            )));
        }
    }
    let Some(model_dir) = model_dir else {
        return Err(Error::invalid(format!(
            "the data is in an external file ('{location}'), but the model was not loaded from a folder"
        )));
    };
    let path = resolve(location, model_dir)?;
    let mut file = File::open(&path).map_err(|e| Error::io(format!("cannot open external data '{location}': {e}")))?;
    let file_len =
        file.metadata().map_err(|e| Error::io(format!("cannot read external data '{location}': {e}")))?.len();
    let end = offset.checked_add(bytes as u64);
    if end.is_none_or(|end| end > file_len) {
        return Err(Error::invalid(format!(
            "external data '{location}' is {file_len} bytes long, too short for {bytes} bytes at offset {offset}"
        )));
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(format!("cannot read external data '{location}': {e}")))?;
    let mut data = vec![0u8; bytes];
    file.read_exact(&mut data).map_err(|e| Error::io(format!("cannot read external data '{location}': {e}")))?;
    Ok(data)
}

/// A non-negative integer written as a string, as the spec stores `offset` and `length`.
fn parse_number(value: Option<&str>, key: &str) -> Result<Option<u64>> {
    value
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| Error::invalid(format!("external data {key} '{v}' is not a non-negative integer")))
        })
        .transpose()
}

/// The canonical path of `location` inside `model_dir`, or an error when it would leave it.
pub(crate) fn resolve(location: &str, model_dir: &Path) -> Result<PathBuf> {
    let relative = Path::new(location);
    let refuse = |why: &str| Err(Error::invalid(format!("external data location '{location}' {why}")));
    if location.is_empty() {
        return refuse("is empty");
    }
    if relative.is_absolute() || location.starts_with('/') || location.starts_with('\\') {
        return refuse("is absolute; it must be relative to the model's folder");
    }
    for part in relative.components() {
        match part {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return refuse("contains '..'; it must stay inside the model's folder"),
            Component::RootDir | Component::Prefix(_) => {
                return refuse("is absolute; it must be relative to the model's folder")
            }
        }
    }
    let dir = model_dir
        .canonicalize()
        .map_err(|e| Error::io(format!("cannot resolve the model's folder {}: {e}", model_dir.display())))?;
    let path = dir
        .join(relative)
        .canonicalize()
        .map_err(|e| Error::io(format!("cannot open external data '{location}': {e}")))?;
    if !path.starts_with(&dir) {
        return refuse("resolves (through a symbolic link) to a file outside the model's folder");
    }
    if !path.is_file() {
        return refuse("is not a regular file");
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::test_util::TempDir;

    fn entries(location: &str, offset: Option<&str>, length: Option<&str>) -> Vec<StringStringEntryProto> {
        let mut e = vec![StringStringEntryProto { key: "location".into(), value: location.into() }];
        for (k, v) in [("offset", offset), ("length", length)] {
            if let Some(v) = v {
                e.push(StringStringEntryProto { key: k.into(), value: v.into() });
            }
        }
        e
    }

    #[test]
    fn reads_a_slice_of_a_file_in_the_folder() {
        let tmp = TempDir::new("ext-ok");
        std::fs::create_dir_all(tmp.0.join("sub")).unwrap();
        std::fs::write(tmp.0.join("sub/w.bin"), [0u8, 1, 2, 3, 4, 5, 6, 7]).unwrap();
        let data = read(&entries("./sub/w.bin", Some("2"), Some("4")), Some(&tmp.0), 4).unwrap();
        assert_eq!(data, vec![2, 3, 4, 5]);
        let err = read(&entries("sub/w.bin", Some("6"), None), Some(&tmp.0), 4).unwrap_err();
        assert!(err.message.contains("too short"), "{err}");
        let err = read(&entries("sub/w.bin", None, Some("3")), Some(&tmp.0), 4).unwrap_err();
        assert!(err.message.contains("length 3"), "{err}");
        let err = read(&entries("sub/w.bin", Some("-1"), None), Some(&tmp.0), 4).unwrap_err();
        assert!(err.message.contains("offset"), "{err}");
        let err = read(&entries("sub/w.bin", Some("18446744073709551615"), None), Some(&tmp.0), 4).unwrap_err();
        assert!(err.message.contains("too short"), "{err}");
    }

    #[test]
    fn refuses_paths_that_leave_the_folder() {
        let tmp = TempDir::new("ext-refuse");
        let model_dir = tmp.0.join("model");
        std::fs::create_dir_all(&model_dir).unwrap();
        std::fs::write(tmp.0.join("secret.bin"), [0u8; 4]).unwrap();
        for location in ["../secret.bin", "a/../../secret.bin", "/etc/passwd", ""] {
            let err = read(&entries(location, None, None), Some(&model_dir), 4).unwrap_err();
            assert_eq!(err.kind, crate::error::ErrorKind::Invalid, "{location}: {err}");
        }
        let err = read(&entries("../secret.bin", None, None), Some(&model_dir), 4).unwrap_err();
        assert_eq!(
            err.message,
            "external data location '../secret.bin' contains '..'; it must stay inside the model's folder"
        );
        let err = read(&entries("/abs/w.bin", None, None), Some(&model_dir), 4).unwrap_err();
        assert!(err.message.contains("is absolute"), "{err}");
        let err = read(&entries("w.bin", None, None), None, 4).unwrap_err();
        assert!(err.message.contains("not loaded from a folder"), "{err}");
        let err = read(&entries("missing.bin", None, None), Some(&model_dir), 4).unwrap_err();
        assert_eq!(err.kind, crate::error::ErrorKind::Io);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_out_of_the_folder() {
        let tmp = TempDir::new("ext-symlink");
        let model_dir = tmp.0.join("model");
        std::fs::create_dir_all(&model_dir).unwrap();
        std::fs::write(tmp.0.join("secret.bin"), [9u8; 4]).unwrap();
        std::os::unix::fs::symlink(tmp.0.join("secret.bin"), model_dir.join("link.bin")).unwrap();
        std::os::unix::fs::symlink(&tmp.0, model_dir.join("up")).unwrap();
        for location in ["link.bin", "up/secret.bin"] {
            let err = read(&entries(location, None, None), Some(&model_dir), 4).unwrap_err();
            assert!(err.message.contains("outside the model's folder"), "{location}: {err}");
        }
        // A link that stays inside the folder is fine.
        std::fs::write(model_dir.join("real.bin"), [1u8; 4]).unwrap();
        std::os::unix::fs::symlink(model_dir.join("real.bin"), model_dir.join("inside.bin")).unwrap();
        assert_eq!(read(&entries("inside.bin", None, None), Some(&model_dir), 4).unwrap(), vec![1u8; 4]);
    }
}
