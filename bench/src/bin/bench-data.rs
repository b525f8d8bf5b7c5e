//! Benchmark data: on a database that has the demo company (`branchline serve
//! --demo` loaded it), adds offices up to 50 and spreads customers over them with
//! a Zipf-like skew (GZ01 the largest, then SZ01, SH01, HZ01 and the new ones),
//! a contract with two instalments for every second customer (a third of the
//! first instalments paid, with their payments), an expense claim with one line
//! for every other customer, and each new office's active budget for the year.
//! Every table is filled by a handful of `INSERT … SELECT` statements that run
//! on both backends. Prints what `bench/run` needs as `KEY=value` lines.
//!
//! Usage: `bench-data --url URL --customers N`

use std::fmt::Write as _;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use store::{AnyConnection, Backend, DatabaseUrl, Db, PoolOptions};

const OFFICES: usize = 50;
/// The skew: office k (from 0) gets a share proportional to 1 / (k + 1)^S.
const SKEW: f64 = 0.9;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Code {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    code: String,
}

struct Sql {
    backend: Backend,
}

impl Sql {
    fn date(&self, d: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("DATE '{d}'"),
            Backend::Sqlite => format!("'{d}'"),
        }
    }

    fn ts(&self, t: &str) -> String {
        match self.backend {
            Backend::Postgres => format!("TIMESTAMP '{t}'"),
            Backend::Sqlite => format!("'{t}'"),
        }
    }

    /// `CASE <expr> % n WHEN 0 THEN d0 … END` over the given dates.
    fn date_case(&self, expr: &str, dates: &[String]) -> String {
        let mut s = format!("CASE {expr} % {} ", dates.len());
        for (i, d) in dates.iter().enumerate() {
            let _ = write!(s, "WHEN {i} THEN {} ", self.date(d));
        }
        s.push_str("END");
        s
    }
}

fn one(conn: &mut AnyConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Id>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .id
}

fn count(conn: &mut AnyConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn exec(conn: &mut AnyConnection, sql: &str) {
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{}: {e}", &sql[..sql.len().min(300)]));
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let url = arg("--url").expect("--url URL");
    let customers: i64 = arg("--customers")
        .expect("--customers N")
        .parse()
        .expect("a number of customers");
    let url = DatabaseUrl::parse(&url).expect("database URL");
    let backend = url.backend();
    let db = Db::connect(
        url,
        &PoolOptions {
            max_size: 1,
            checkout_timeout: std::time::Duration::from_secs(30),
        },
    )
    .expect("connect");
    let mut conn = db.pool().get().expect("connection");
    let conn: &mut AnyConnection = &mut conn;
    let sql = Sql { backend };
    let started = std::time::Instant::now();

    let already = count(
        conn,
        "SELECT COUNT(*) AS n FROM customers WHERE name LIKE 'Bench %'",
    );
    assert_eq!(
        already, 0,
        "this database has benchmark data already: use a fresh one"
    );
    let rep = one(
        conn,
        "SELECT id FROM users WHERE username = 'gz01.sales_rep'",
    );
    let region = one(conn, "SELECT MIN(id) AS id FROM regions");
    let now = sql.ts("2026-11-30 10:00:00");
    let today = chrono::Utc::now().date_naive();
    let year = chrono::Datelike::year(&today);

    // Offices: the demo's four first (GZ01 the largest), then new ones to 50.
    let mut offices: Vec<(i64, String)> = Vec::new();
    for code in ["GZ01", "SZ01", "SH01", "HZ01"] {
        offices.push((
            one(
                conn,
                &format!("SELECT id FROM offices WHERE code = '{code}'"),
            ),
            code.to_owned(),
        ));
    }
    let mut values = String::new();
    for k in offices.len() + 1..=OFFICES {
        let code = format!("BN{k:02}");
        if !values.is_empty() {
            values.push_str(", ");
        }
        let _ = write!(
            values,
            "('{code}', 'Bench office {k}', {region}, 'Bench road {k}', 'active', {}, {now}, {now}, 1)",
            sql.date("2020-01-01")
        );
    }
    exec(
        conn,
        &format!(
            "INSERT INTO offices (code, name, region_id, address, status, opened_on, created_at, updated_at, version) VALUES {values}"
        ),
    );
    let new: Vec<Code> =
        diesel::sql_query("SELECT id, code FROM offices WHERE code LIKE 'BN%' ORDER BY code")
            .load(conn)
            .expect("new offices");
    offices.extend(new.into_iter().map(|c| (c.id, c.code)));

    // Customers, office by office, so each office's ids are one range.
    let weights: Vec<f64> = (0..offices.len())
        .map(|k| 1.0 / ((k + 1) as f64).powf(SKEW))
        .collect();
    let total: f64 = weights.iter().sum();
    let mut ranges = Vec::new();
    let mut left = customers;
    for (k, (office, code)) in offices.iter().enumerate() {
        let n = if k + 1 == offices.len() {
            left
        } else {
            ((customers as f64) * weights[k] / total).round() as i64
        }
        .min(left)
        .max(0);
        left -= n;
        if n == 0 {
            ranges.push((code.clone(), *office, 0, 0));
            continue;
        }
        exec(
            conn,
            &format!(
                "INSERT INTO customers (office_id, name, industry, address, classification, owner_user_id, \
                 credit_limit, currency, payment_terms_days, status, created_by, created_at, updated_at, version) \
                 WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n}) \
                 SELECT {office}, 'Bench {code} customer ' || i, 'lighting', 'Bench street ' || i, \
                 CASE i % 3 WHEN 0 THEN 'potential' WHEN 1 THEN 'intent' ELSE 'key_account' END, {rep}, \
                 CAST(i % 50 AS BIGINT) * 100000, 'CNY', 30, 'active', {rep}, {now}, {now}, 1 FROM seq"
            ),
        );
        let first = one(
            conn,
            &format!(
                "SELECT MIN(id) AS id FROM customers WHERE office_id = {office} AND name LIKE 'Bench %'"
            ),
        );
        let last = one(
            conn,
            &format!(
                "SELECT MAX(id) AS id FROM customers WHERE office_id = {office} AND name LIKE 'Bench %'"
            ),
        );
        ranges.push((code.clone(), *office, first, last));
    }

    // Contracts for every second customer, each with two instalments.
    exec(
        conn,
        &format!(
            "INSERT INTO contracts (office_id, number, customer_id, title, terms, currency, total, status, signed_on, \
             created_by, created_at, updated_at, version) \
             SELECT office_id, 'BC-' || id, id, 'Bench supply ' || id, 'net 30', 'CNY', \
             CAST(100000 + (id % 50) * 2000 AS BIGINT), 'in_execution', {}, {rep}, {now}, {now}, 1 \
             FROM customers WHERE name LIKE 'Bench %' AND id % 2 = 0",
            sql.date("2025-10-01")
        ),
    );
    let past: Vec<String> = (0..12)
        .map(|m| {
            (today - chrono::Days::new(15 + 30 * m))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    let future: Vec<String> = (0..6)
        .map(|m| {
            (today + chrono::Days::new(10 + 30 * m))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    exec(
        conn,
        &format!(
            "INSERT INTO contract_instalments (contract_id, office_id, seq, due_on, amount, paid) \
             SELECT id, office_id, 1, {}, total / 2, CASE WHEN id % 3 = 0 THEN total / 2 ELSE 0 END \
             FROM contracts WHERE number LIKE 'BC-%'",
            sql.date_case("id", &past)
        ),
    );
    exec(
        conn,
        &format!(
            "INSERT INTO contract_instalments (contract_id, office_id, seq, due_on, amount, paid) \
             SELECT id, office_id, 2, {}, total - total / 2, 0 FROM contracts WHERE number LIKE 'BC-%'",
            sql.date_case("id", &future)
        ),
    );
    exec(
        conn,
        &format!(
            "INSERT INTO payments_received (office_id, contract_id, instalment_id, customer_id, amount, received_on, \
             method, recorded_by, created_at) \
             SELECT ci.office_id, ci.contract_id, ci.id, ct.customer_id, ci.paid, ci.due_on, 'bank_transfer', {rep}, {now} \
             FROM contract_instalments ci JOIN contracts ct ON ct.id = ci.contract_id \
             WHERE ct.number LIKE 'BC-%' AND ci.seq = 1 AND ci.paid > 0"
        ),
    );

    // Expense claims for every other customer, one line each, spent this year.
    let months: Vec<String> = (1..=12)
        .map(|m| format!("{year}-{m:02}-10"))
        .filter(|d| d.as_str() <= today.format("%Y-%m-%d").to_string().as_str())
        .collect();
    exec(
        conn,
        &format!(
            "INSERT INTO expense_claims (office_id, number, claimant_user_id, category, title, total, currency, status, \
             created_at, updated_at, version) \
             SELECT office_id, 'BEC-' || id, {rep}, \
             CASE id % 4 WHEN 0 THEN 'office' WHEN 1 THEN 'travel' WHEN 2 THEN 'entertainment' ELSE 'training' END, \
             'Bench claim ' || id, CAST(1000 + (id % 90) * 100 AS BIGINT), 'CNY', \
             CASE id % 4 WHEN 0 THEN 'paid' ELSE 'approved' END, {now}, {now}, 1 \
             FROM customers WHERE name LIKE 'Bench %' AND id % 2 = 1"
        ),
    );
    exec(
        conn,
        &format!(
            "INSERT INTO expense_claim_lines (claim_id, office_id, line_no, spent_on, description, amount, invoice_number) \
             SELECT id, office_id, 1, {}, 'bench', total, 'BINV-' || id FROM expense_claims WHERE number LIKE 'BEC-%'",
            sql.date_case("id", &months)
        ),
    );

    // Each new office's active budget for the year: eight expense lines a month.
    exec(
        conn,
        &format!(
            "INSERT INTO budgets (office_id, year, number, status, block_overruns, created_by, created_at, updated_at, version) \
             SELECT id, {year}, 'BB-' || code, 'active', false, {rep}, {now}, {now}, 1 FROM offices WHERE code LIKE 'BN%'"
        ),
    );
    exec(
        conn,
        "INSERT INTO budget_lines (budget_id, office_id, kind, category, month, amount) \
         WITH RECURSIVE m(month) AS (SELECT 1 UNION ALL SELECT month + 1 FROM m WHERE month < 12), \
         c(category) AS (SELECT 'office' UNION ALL SELECT 'travel' UNION ALL SELECT 'entertainment' \
         UNION ALL SELECT 'training' UNION ALL SELECT 'market_activity' UNION ALL SELECT 'salaries' \
         UNION ALL SELECT 'rent' UNION ALL SELECT 'other') \
         SELECT b.id, b.office_id, 'expense', c.category, m.month, 10000000 \
         FROM budgets b CROSS JOIN m CROSS JOIN c WHERE b.number LIKE 'BB-BN%'",
    );
    if backend == Backend::Postgres {
        exec(conn, "ANALYZE");
    }

    let (_, gz, first, last) = ranges[0].clone();
    let budget = one(
        conn,
        &format!(
            "SELECT MIN(id) AS id FROM budgets WHERE office_id = {gz} AND status = 'active' AND year = {year}"
        ),
    );
    let instalments = count(conn, "SELECT COUNT(*) AS n FROM contract_instalments");
    let claims = count(conn, "SELECT COUNT(*) AS n FROM expense_claims");
    eprintln!(
        "bench-data: {customers} customers over {} offices ({}–{} in GZ01), {instalments} instalments, {claims} claims in {:.1} s",
        offices.len(),
        first,
        last,
        started.elapsed().as_secs_f64()
    );
    println!("GZ_OFFICE={gz}");
    println!("GZ_FIRST={first}");
    println!("GZ_LAST={last}");
    println!("GZ_BUDGET={budget}");
    println!("INSTALMENTS={instalments}");
    println!("CLAIMS={claims}");
}
