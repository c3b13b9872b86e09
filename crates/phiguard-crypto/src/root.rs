//! The root key file.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use data_encoding::BASE64;
use zeroize::Zeroizing;

use crate::{CryptoError, KeyMaterial, SecretKey};

const HEADER: &str = "phiguard root key v1";

/// The key at the top of the chain. It lives in its own file, readable by its owner only, and
/// never in a database, so that a copy of the database or of a backup holds no usable key.
///
/// File format: the line `phiguard root key v1`, then the 32 key bytes in base64 on one line.
#[derive(Debug)]
pub struct RootKey {
    key: SecretKey,
}

impl RootKey {
    /// Creates a new random root key at `path`, with mode 0600. Refuses to overwrite a file.
    ///
    /// # Errors
    ///
    /// [`CryptoError::RootKeyIo`] if the file exists or cannot be written;
    /// [`CryptoError::Random`] if the random generator fails.
    pub fn create(path: &Path) -> Result<Self, CryptoError> {
        let material = KeyMaterial::generate()?;
        let text = Zeroizing::new(format!("{HEADER}\n{}\n", BASE64.encode(material.expose())));
        let io = |source| CryptoError::RootKeyIo {
            path: path.to_path_buf(),
            source,
        };

        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;

        Ok(RootKey {
            key: SecretKey::from_material(material)?,
        })
    }

    /// Loads the root key from `path`, refusing a file that others can read or write.
    ///
    /// # Errors
    ///
    /// [`CryptoError::RootKeyMode`] if group or other have any permission on the file;
    /// [`CryptoError::RootKeyFormat`] if it is not a root key file;
    /// [`CryptoError::RootKeyIo`] if it cannot be read.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let io = |source| CryptoError::RootKeyIo {
            path: path.to_path_buf(),
            source,
        };
        let metadata = fs::metadata(path).map_err(io)?;
        check_mode(path, &metadata)?;

        let format = |reason| CryptoError::RootKeyFormat {
            path: path.to_path_buf(),
            reason,
        };
        if metadata.len() > 1024 {
            return Err(format("it is far larger than a key"));
        }
        let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(format("its first line is not `phiguard root key v1`"));
        }
        let encoded = lines
            .next()
            .ok_or_else(|| format("the key line is missing"))?;
        let bytes = Zeroizing::new(
            BASE64
                .decode(encoded.trim().as_bytes())
                .map_err(|_| format("the key is not base64"))?,
        );
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| format("the key is not 32 bytes long"))?;

        Ok(RootKey {
            key: SecretKey::from_material(KeyMaterial::from_bytes(array))?,
        })
    }

    /// Loads the key at `path`, creating it first if no file exists there. Returns whether it
    /// was created.
    ///
    /// # Errors
    ///
    /// As for [`RootKey::create`] and [`RootKey::load`].
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), CryptoError> {
        match fs::symlink_metadata(path) {
            Ok(_) => Ok((Self::load(path)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Self::create(path)?, true)),
            Err(source) => Err(CryptoError::RootKeyIo {
                path: PathBuf::from(path),
                source,
            }),
        }
    }

    /// The root key as an AES-256-GCM key, for wrapping tenant keys.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }
}

#[cfg(unix)]
fn check_mode(path: &Path, metadata: &fs::Metadata) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt;

    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CryptoError::RootKeyMode {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path, _metadata: &fs::Metadata) -> Result<(), CryptoError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_loads_back_and_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let created = RootKey::create(&path).unwrap();
        let loaded = RootKey::load(&path).unwrap();
        assert_eq!(created.key().material(), loaded.key().material());

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(RootKey::create(&path).is_err(), "must not overwrite a key");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        RootKey::create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();

        let err = RootKey::load(&path).unwrap_err();
        assert!(matches!(err, CryptoError::RootKeyMode { mode: 0o640, .. }));
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        for (content, reason) in [
            ("hello\n", "first line"),
            ("phiguard root key v1\n", "missing"),
            ("phiguard root key v1\n!!!\n", "base64"),
            ("phiguard root key v1\nAAAA\n", "32 bytes"),
        ] {
            fs::write(&path, content).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            }
            let err = RootKey::load(&path).unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
    }

    #[test]
    fn load_or_create_creates_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let (first, created) = RootKey::load_or_create(&path).unwrap();
        assert!(created);
        let (second, created) = RootKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(first.key().material(), second.key().material());
    }
}
