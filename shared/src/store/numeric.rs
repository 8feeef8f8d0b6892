//! `Usd`: a cost in units of 10^-8 dollars, sent to PostgreSQL as NUMERIC(…, 8) in binary
//! (tokio-postgres has no NUMERIC encoder without pulling in a decimal crate).

use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// Scale of [`Usd`]: eight decimal places, as the cost columns.
const SCALE: i64 = 100_000_000;

/// A dollar amount with eight decimals, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usd(pub i64);

impl Usd {
    /// Rounds `v` dollars to eight decimals.
    pub fn from_f64(v: f64) -> Self {
        Usd((v * SCALE as f64).round() as i64)
    }

    /// Base-10000 digits, weight and sign, as PostgreSQL's binary NUMERIC wants them.
    fn groups(self) -> (Vec<i16>, i16) {
        let abs = self.0.unsigned_abs();
        let (mut int, frac) = (abs / SCALE as u64, abs % SCALE as u64);
        let mut int_groups = Vec::new();
        while int > 0 {
            int_groups.push((int % 10_000) as i16);
            int /= 10_000;
        }
        int_groups.reverse();
        let mut weight = int_groups.len() as i16 - 1;
        let mut digits = int_groups;
        digits.push((frac / 10_000) as i16);
        digits.push((frac % 10_000) as i16);
        while digits.first() == Some(&0) {
            digits.remove(0);
            weight -= 1;
        }
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            weight = 0;
        }
        (digits, weight)
    }
}

impl ToSql for Usd {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let (digits, weight) = self.groups();
        out.put_i16(digits.len() as i16);
        out.put_i16(weight);
        out.put_u16(if self.0 < 0 { 0x4000 } else { 0 });
        out.put_u16(8);
        for d in digits {
            out.put_i16(d);
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_groups() {
        assert_eq!(Usd::from_f64(0.3675).groups(), (vec![3675], -1));
        assert_eq!(
            Usd::from_f64(12345.00000001).groups(),
            (vec![1, 2345, 0, 1], 1)
        );
        assert_eq!(Usd::from_f64(0.00000001).groups(), (vec![1], -2));
        assert_eq!(Usd::from_f64(10000.0).groups(), (vec![1], 1));
        assert_eq!(Usd(0).groups(), (vec![], 0));
    }
}
