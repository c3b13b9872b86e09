//! Which cryptographic module is running.

/// The cryptographic module phiguard runs on, as `phiguard status` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoModule {
    /// The library: always AWS-LC.
    pub name: &'static str,
    /// AWS-LC's own version string.
    pub version: &'static str,
    /// Whether this binary was built with the `fips` feature (on the validated module).
    pub fips_build: bool,
    /// Whether the module reports that it runs in FIPS mode.
    pub fips_mode: bool,
}

impl CryptoModule {
    /// Asks AWS-LC which module and mode are running.
    pub fn current() -> Self {
        CryptoModule {
            name: "AWS-LC",
            version: aws_lc_rs::awslc_version(),
            fips_build: cfg!(feature = "fips"),
            fips_mode: aws_lc_rs::try_fips_mode().is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_and_the_mode_agree() {
        let module = CryptoModule::current();
        assert_eq!(module.name, "AWS-LC");
        assert!(!module.version.is_empty());
        assert_eq!(module.fips_build, module.fips_mode);
    }
}
