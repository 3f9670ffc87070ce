//! `%b` and `%x`/`%X` of floats, as `strconv.FormatFloat`'s `fmtB` and `fmtX` lay them out.

const MANT_BITS: u32 = 52;

/// The binary mantissa (with its implicit bit) and exponent: `x = mant * 2^(exp - 52)`.
fn decompose(x: f64) -> (bool, u64, i32) {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let mut exp = ((bits >> MANT_BITS) & 0x7ff) as i32;
    let mut mant = bits & ((1 << MANT_BITS) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1 << MANT_BITS;
    }
    (neg, mant, exp - 1023)
}

/// `%b`: `-ddddp±ddd` (decimal mantissa, binary exponent).
pub(crate) fn format_b(x: f64) -> String {
    let (neg, mant, exp) = decompose(x);
    let exp = exp - MANT_BITS as i32;
    format!("{}{mant}p{}{exp}", if neg { "-" } else { "" }, if exp >= 0 { "+" } else { "" })
}

/// `%x`: `-0x1.hhhhp±dd` with `prec` hex digits after the point (`None`: as many as needed).
pub(crate) fn format_x(x: f64, prec: Option<usize>, upper: bool) -> String {
    let (neg, mut mant, mut exp) = decompose(x);
    if mant == 0 {
        exp = 0;
    }
    // Leading 1 (if any) at bit 60.
    mant <<= 60 - MANT_BITS;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec.filter(|&p| p < 15) {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push('0');
    s.push(if upper { 'X' } else { 'x' });
    s.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    let digits = match prec {
        None if mant != 0 => Some(usize::MAX),
        None => None,
        Some(0) => None,
        Some(p) => Some(p),
    };
    if let Some(n) = digits {
        s.push('.');
        let mut i = 0;
        while i < n && (n != usize::MAX || mant != 0) {
            s.push(char::from(hex[((mant >> 60) & 15) as usize]));
            mant <<= 4;
            i += 1;
        }
    }
    s.push(if upper { 'P' } else { 'p' });
    s.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        s.push('0');
    }
    s.push_str(&a.to_string());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layouts() {
        assert_eq!(format_b(1.0), "4503599627370496p-52");
        assert_eq!(format_b(-1.0), "-4503599627370496p-52");
        assert_eq!(format_x(1.0, None, false), "0x1p+00");
        assert_eq!(format_x(0.0, Some(3), false), "0x0.000p+00");
        assert_eq!(format_x(1.0, Some(3), false), "0x1.000p+00");
        assert_eq!(format_x(123.0, Some(4), false), "0x1.ec00p+06");
        assert_eq!(format_x(-1.0, Some(3), true), "-0X1.000P+00");
        assert_eq!(format_x(0.1, None, false), "0x1.999999999999ap-04");
        assert_eq!(format_x(1e300, None, false), "0x1.7e43c8800759cp+996");
    }
}
