//! The project's timestamp column type: PostgreSQL `timestamptz`, SQLite integer epoch
//! milliseconds (text timestamps would not sort correctly below one second). Both keep
//! millisecond precision, so the two backends return identical values.

use jiff::Timestamp;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A UTC instant as stored, with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(pub Timestamp);

/// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01T00:00:00Z.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl Ts {
    /// Truncates to whole milliseconds, the precision both backends keep.
    pub fn new(at: Timestamp) -> Self {
        Ts(Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at))
    }
}

impl From<Timestamp> for Ts {
    fn from(at: Timestamp) -> Self {
        Ts::new(at)
    }
}

impl From<Ts> for Timestamp {
    fn from(ts: Ts) -> Self {
        ts.0
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.as_millisecond(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let ms = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(Ts(Timestamp::from_millisecond(ms)?))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        // 1184 is the fixed OID of timestamptz.
        PgTypeInfo::with_oid(Oid(1184))
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let micros = self.0.as_millisecond() * 1000 - PG_EPOCH_MICROS;
        Encode::<Postgres>::encode(micros, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let micros = <i64 as Decode<Postgres>>::decode(value)?;
                let unix_micros = micros + PG_EPOCH_MICROS;
                Ok(Ts(Timestamp::from_millisecond(
                    unix_micros.div_euclid(1000),
                )?))
            }
            PgValueFormat::Text => {
                let text = value.as_str()?.replacen(' ', "T", 1);
                let at: Timestamp = text.parse()?;
                Ok(Ts::new(at))
            }
        }
    }
}
