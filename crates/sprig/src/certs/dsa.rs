//! DSA key generation (placeholder).

pub fn generate() -> Result<Vec<u8>, String> {
    Err("dsa: not implemented".into())
}
