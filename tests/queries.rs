//! What the storage module's queries must not do, read from `src/db/` as written (src/db/mod.rs says why).

/// `first` binds its `LIMIT`, which makes SQLite parse and plan the statement again on every execution.
#[test]
fn no_query_reads_with_first() {
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir("src/db").expect("src/db is readable") {
        let path = entry.expect("a directory entry").path();
        let source = std::fs::read_to_string(&path).expect("a readable source file");
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if code.contains(".first(") || code.contains(".first::<") {
                offenders.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use get_result for a unique key instead:\n{}",
        offenders.join("\n")
    );
}
