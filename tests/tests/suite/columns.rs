//! The column declarations every record is checked against (`telemetry_shared::columns`)
//! match the migrated schema: type, `VARCHAR` length and `NUMERIC` precision, so a check
//! cannot pass a value the database would refuse for its type or length.

use telemetry_shared::columns::{tables, Kind};
use telemetry_tests::TestDb;

#[tokio::test]
async fn every_declared_column_matches_the_migrated_schema() {
    let db = TestDb::new("columns_schema").await;
    let client = db.client().await;
    let mut checked = 0;
    for table in tables::ALL {
        for col in *table {
            let row = client
                .query_opt(
                    "SELECT data_type, character_maximum_length, numeric_precision, numeric_scale
                     FROM information_schema.columns
                     WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2",
                    &[&col.table, &col.name],
                )
                .await
                .expect("query")
                .unwrap_or_else(|| panic!("{}.{} is not in the schema", col.table, col.name));
            let data_type: String = row.get("data_type");
            let length: Option<i32> = row.get("character_maximum_length");
            let precision: Option<i32> = row.get("numeric_precision");
            let scale: Option<i32> = row.get("numeric_scale");
            let expected = match col.kind {
                Kind::Text(None) => ("text", None, None),
                Kind::Text(Some(n)) => ("character varying", Some(n as i32), None),
                Kind::Int4 => ("integer", None, Some((32, 0))),
                Kind::Int8 => ("bigint", None, Some((64, 0))),
                Kind::Numeric(p, s) => ("numeric", None, Some((p as i32, s as i32))),
                Kind::Timestamptz => ("timestamp with time zone", None, None),
                Kind::Jsonb => ("jsonb", None, None),
            };
            let found = (data_type.as_str(), length, precision.zip(scale));
            assert_eq!(found, expected, "{}.{}", col.table, col.name);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} columns checked");
    drop(client);
    db.drop_db().await;
}
