//! The DER and PEM pieces the certificate functions need: a TLV writer, a strict TLV
//! reader, Go's `encoding/pem` framing and standard base64.

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const UTF8_STRING: u8 = 0x0c;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;

/// One TLV: `tag`, then the DER length of `body`, then `body`.
pub fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(body);
    out
}

/// A constructed value of the concatenated `parts`.
pub fn seq(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes (minimal, sign byte added).
pub fn uint(be: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    let mut body = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend(trimmed);
    tlv(INTEGER, &body)
}

/// An OBJECT IDENTIFIER from its arcs.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut push = |mut v: u64| {
        let mut chunk = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        body.extend(chunk.into_iter().rev());
    };
    if let [a, b, rest @ ..] = arcs {
        push(a * 40 + b);
        rest.iter().for_each(|v| push(*v));
    }
    tlv(OID, &body)
}

/// A BIT STRING of whole bytes.
pub fn bits(bytes: &[u8]) -> Vec<u8> {
    let mut body = vec![0];
    body.extend_from_slice(bytes);
    tlv(BIT_STRING, &body)
}

/// A TLV read from DER: its tag, its contents and its whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub body: &'a [u8],
    pub raw: &'a [u8],
}

/// Reads consecutive TLVs from a buffer; `None` on any malformation (short input,
/// non-minimal or indefinite length, multi-byte tags).
#[derive(Debug, Clone)]
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The next TLV, whatever its tag.
    pub fn any(&mut self) -> Option<Tlv<'a>> {
        let d = self.0;
        let (&tag, rest) = d.split_first()?;
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
            if len < 0x80 {
                return None;
            }
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        let header = d.len() - rest.len();
        self.0 = &rest[len..];
        Some(Tlv { tag, body: &rest[..len], raw: &d[..header + len] })
    }

    /// The next TLV if it has `tag`.
    pub fn take(&mut self, tag: u8) -> Option<Tlv<'a>> {
        let mut probe = self.clone();
        let t = probe.any().filter(|t| t.tag == tag)?;
        *self = probe;
        Some(t)
    }

    /// The next TLV's contents, which must have `tag`.
    pub fn body(&mut self, tag: u8) -> Option<&'a [u8]> {
        self.take(tag).map(|t| t.body)
    }

    /// The contents of a constructed value with `tag`, as a reader.
    pub fn inner(&mut self, tag: u8) -> Option<Reader<'a>> {
        self.body(tag).map(Reader)
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard padded base64.
pub fn b64encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |a, (i, b)| a | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base64.StdEncoding.DecodeString`: padding required, `\r` and `\n` ignored.
pub fn b64decode(s: &str) -> Option<Vec<u8>> {
    let b: Vec<u8> = s.bytes().filter(|c| *c != b'\r' && *c != b'\n').collect();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (ci, chunk) in b.chunks(4).enumerate() {
        let last = ci == b.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for c in &chunk[..4 - pad] {
            n = n << 6 | B64.iter().position(|x| x == c)? as u32;
        }
        n <<= 6 * pad as u32;
        // Go rejects non-zero trailing bits only in strict mode; StdEncoding is lenient.
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    Some(out)
}

/// Go's `pem.EncodeToMemory`: 64-column base64 between BEGIN and END lines.
pub fn pem_encode(kind: &str, der: &[u8]) -> String {
    let body = b64encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// Go's `pem.Decode` of the first well-formed block: its type and bytes. Headers
/// (`Proc-Type: ...` lines before a blank line) are skipped.
pub fn pem_decode(input: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = input;
    loop {
        let start = rest.find("-----BEGIN ")?;
        let at_line_start = start == 0 || rest.as_bytes()[start - 1] == b'\n';
        let after = &rest[start + 11..];
        rest = after;
        if !at_line_start {
            continue;
        }
        let type_end = after.find("-----")?;
        let kind = &after[..type_end];
        let line_rest = &after[type_end + 5..];
        let Some(body_start) = line_rest.find('\n').filter(|i| line_rest[..*i].trim().is_empty()) else { continue };
        let body = &line_rest[body_start + 1..];
        let end_marker = format!("-----END {kind}-----");
        let Some(end) = body.find(&end_marker) else { continue };
        let mut text = &body[..end];
        if let Some(blank) = text.find("\n\n").filter(|_| text.lines().next().is_some_and(|l| l.contains(':'))) {
            text = &text[blank + 2..];
        }
        let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(der) = b64decode(&clean) {
            return Some((kind.to_string(), der));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(b64decode(&b64encode(data)).as_deref(), Some(data));
        }
        assert_eq!(b64encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64decode("Zm9v\nYg=="), Some(b"foob".to_vec()));
        assert_eq!(b64decode("Zm9vY"), None);
        let pem = pem_encode("CERTIFICATE", &[7u8; 100]);
        assert_eq!(pem_decode(&format!("junk\n{pem}")), Some(("CERTIFICATE".into(), vec![7u8; 100])));
        assert_eq!(oid(&[1, 2, 840, 113549, 1, 1, 11]), [6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]);
        assert_eq!(uint(&[0x80]), [2, 2, 0, 0x80]);
        assert_eq!(uint(&[0, 0, 1]), [2, 1, 1]);
        let long = tlv(OCTET_STRING, &[0u8; 300]);
        let t = Reader(&long).any().map(|t| t.body.len());
        assert_eq!(t, Some(300));
    }
}
