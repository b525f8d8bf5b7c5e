//! The security battery, generated from the served contract and the demo's role
//! table, never from a hand list: a route is covered the day it lands.
//!
//! - **Records of another office** (BOLA): every operation with path parameters
//!   is tried on a record of office A by every office-scoped user of office B.
//!   Each must answer exactly as for a record that does not exist, never with
//!   success, and the record reads the same afterwards.
//! - **References in bodies**: every `*_id` field of every request body is sent
//!   with a record of office A and with one that does not exist, by every
//!   office-scoped user of office B: the same answer, never success.
//! - **Mass assignment**: every field a resource's answer has and its request
//!   body does not (`id`, `status`, `version`, ...) is refused when sent.
//! - **Answers**: every answer seen above has a status its operation documents;
//!   every error is problem+json whose `status` is the HTTP status and whose
//!   `code` is a documented one.
//!   Every answer carries the security headers.
//! - **Audit**: none of the refused calls above writes an audit event.
//!
//! Office A is GZ01 and office B is SH01, in different regions. Records are found
//! through the API: each path parameter's collection (the path before it) is
//! listed by the users of office A until one of its items is A's.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use actix_web::get;
use actix_web::test::TestRequest;
use branchline_tests::spec::{self, Operation};
use branchline_tests::{TestApp, TestResponse, db_test};
use diesel::prelude::*;
use serde_json::Value;

/// An id no record has.
const MISSING: i64 = 987_654_321;

/// One answer the battery saw.
struct Seen {
    method: String,
    template: String,
    status: u16,
    content_type: String,
    /// The security headers every answer carries, as they came.
    security: [Option<String>; 3],
    body: Vec<u8>,
}

const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
];

/// Where a record of an office was looked for.
enum Found {
    /// The record's id.
    Id(i64),
    /// The collection's items name no office: not an office's records.
    Unscoped,
    /// Nothing to test with, and why.
    Nothing(String),
}

pub struct Battery<'a> {
    app: &'a TestApp,
    spec: Value,
    ops: Vec<Operation>,
    seen: RefCell<Vec<Seen>>,
    tokens: BTreeMap<String, String>,
    /// Users of office A, to find A's records with.
    finders: Vec<String>,
    /// Users of office B whose every assignment is within B.
    intruders: Vec<String>,
    a: i64,
    b: i64,
    /// The database's tables.
    tables: BTreeSet<String>,
}

/// The tables of the database.
fn tables(app: &TestApp) -> BTreeSet<String> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let sql = match app.backend() {
        store::Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        store::Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    app.conn(|c| diesel::sql_query(sql).load::<Name>(c).unwrap())
        .into_iter()
        .map(|n| n.name)
        .collect()
}

/// The office ids an item names, at its top level or one object down.
fn offices_of(item: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = item["office_id"].as_i64().into_iter().collect();
    for v in item.as_object().into_iter().flat_map(|o| o.values()) {
        if v.is_object() {
            out.extend(v["office_id"].as_i64());
        }
    }
    out
}

fn params(template: &str) -> Vec<(usize, &str)> {
    template
        .split('/')
        .enumerate()
        .filter(|(_, s)| s.starts_with('{'))
        .collect()
}

fn fill(template: &str, ids: &[i64]) -> String {
    let mut ids = ids.iter();
    template
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                ids.next()
                    .map_or_else(|| MISSING.to_string(), i64::to_string)
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct MaybeId {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    n: Option<i64>,
}

impl<'a> Battery<'a> {
    pub async fn new(app: &'a TestApp) -> Battery<'a> {
        use store::schema::{role_assignments as ra, users};
        let spec = app.get("/openapi.json").await.ok(200);
        let ops = spec::operations(&spec);
        let (a, b) = (app.office_id("GZ01"), app.office_id("SH01"));
        let people = |office: i64| -> Vec<(i64, String)> {
            app.conn(|c| {
                users::table
                    .filter(users::office_id.eq(office).and(users::active.eq(true)))
                    .select((users::id, users::username))
                    .order(users::id)
                    .load(c)
                    .unwrap()
            })
        };
        // Office A's users, then the company's, find (or make) A's records.
        let hq: Vec<String> = app.conn(|c| {
            users::table
                .filter(users::office_id.is_null().and(users::active.eq(true)))
                .select(users::username)
                .order(users::id)
                .load(c)
                .unwrap()
        });
        let finders: Vec<String> = people(a).into_iter().map(|(_, u)| u).chain(hq).collect();
        let mut intruders = Vec::new();
        for (id, username) in people(b) {
            let kinds: Vec<String> = app.conn(|c| {
                ra::table
                    .filter(ra::user_id.eq(id))
                    .select(ra::scope_kind)
                    .load(c)
                    .unwrap()
            });
            if !kinds.is_empty() && kinds.iter().all(|k| k == "office" || k == "department") {
                intruders.push(username);
            }
        }
        let mut tokens = BTreeMap::new();
        for u in finders.iter().chain(&intruders).map(String::as_str) {
            tokens.insert(u.to_owned(), app.login(u).await);
        }
        let tables = tables(app);
        Battery {
            tables,
            app,
            spec,
            ops,
            seen: RefCell::new(Vec::new()),
            tokens,
            finders,
            intruders,
            a,
            b,
        }
    }

    fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }

    fn audit_count(&self) -> i64 {
        self.app.conn(|c| {
            diesel::sql_query("SELECT COUNT(*) AS n FROM audit_events")
                .get_result::<Count>(c)
                .unwrap()
                .n
        })
    }

    async fn send(
        &self,
        user: &str,
        op: &Operation,
        path: &str,
        body: Option<&Value>,
        etag: Option<&str>,
    ) -> TestResponse {
        let req = match op.method.as_str() {
            "GET" => TestRequest::get(),
            "POST" => TestRequest::post(),
            "PATCH" => TestRequest::patch(),
            "PUT" => TestRequest::put(),
            "DELETE" => TestRequest::delete(),
            other => panic!("{other}"),
        };
        let mut req = req
            .uri(path)
            .insert_header(("authorization", format!("Bearer {}", self.token(user))));
        if let Some(etag) = etag {
            req = req.insert_header(("if-match", etag));
        }
        if let Some(body) = body {
            req = req.set_json(body);
        }
        let res = self.app.call(req).await;
        self.seen.borrow_mut().push(Seen {
            method: op.method.to_lowercase(),
            template: op.path.clone(),
            status: res.status.as_u16(),
            content_type: res.header("content-type").unwrap_or_default().to_owned(),
            security: SECURITY_HEADERS.map(|(h, _)| res.header(h).map(str::to_owned)),
            body: res.body.clone(),
        });
        res
    }

    /// A record of `office` in `collection` (a path with its parent ids filled
    /// in): an item of its list that is the office's (any item, when
    /// `parent_owned`: an earlier parameter already named one of the office's
    /// records); else a row of the table the collection is named after; else
    /// one made through the collection's own POST.
    async fn record_in(
        &self,
        users: &[String],
        collection: &str,
        template: &str,
        param: &str,
        office: i64,
        parent_owned: bool,
    ) -> Found {
        let mut unscoped = false;
        let mut answers = Vec::new();
        for user in users {
            let Some(token) = self.tokens.get(user) else {
                continue;
            };
            let res = self
                .app
                .get_as(token, &format!("{collection}?limit=200"))
                .await;
            answers.push(res.status.as_u16());
            if res.status != 200 {
                continue;
            }
            let body = res.json();
            let items = body["items"]
                .as_array()
                .or_else(|| body.as_array())
                .cloned()
                .unwrap_or_default();
            for item in &items {
                // An office is its own office.
                let offices = if collection.ends_with("/offices") {
                    item["id"].as_i64().into_iter().collect()
                } else {
                    offices_of(item)
                };
                // The item's id: the field the parameter is named after
                // (`{instalment_id}`), else `id`.
                let id = item[param].as_i64().or_else(|| item["id"].as_i64());
                if let (true, Some(id)) = (parent_owned || offices.contains(&office), id) {
                    return Found::Id(id);
                }
                if offices.is_empty() && !parent_owned {
                    unscoped = true;
                }
            }
        }
        if unscoped {
            return Found::Unscoped;
        }
        // The table named like the collection: `stocktakes`, or with the
        // segment before it, `sales_plans`.
        let segments: Vec<String> = collection
            .rsplit('/')
            .take(2)
            .map(|s| s.replace('-', "_"))
            .collect();
        let names = [
            segments[0].clone(),
            format!(
                "{}_{}",
                segments.get(1).cloned().unwrap_or_default(),
                segments[0]
            ),
        ];
        for table in names
            .iter()
            .filter(|t| !parent_owned && self.tables.contains(*t))
        {
            if let Ok(Some(id)) = self.row_of(table, office) {
                return Found::Id(id);
            }
        }
        if let Some(id) = Box::pin(self.make_in(users, template, office)).await {
            return Found::Id(id);
        }
        Found::Nothing(format!(
            "no record of office {office} in {collection}, and none could be made (list answers {answers:?})"
        ))
    }

    /// A record made through the API by the first of `users` it succeeds for:
    /// `POST` on the collection itself, or on one of the same name under
    /// another record (`/sales/targets/{id}/plans` makes `/sales/plans`), with
    /// the contract's example body, every `*_id` field naming a record of
    /// `office`. A 422 on optional fields drops them and tries again.
    async fn make_in(&self, users: &[String], template: &str, office: i64) -> Option<i64> {
        let name = template.rsplit('/').next()?;
        let makers: Vec<&Operation> = self
            .ops
            .iter()
            .filter(|o| o.method == "POST")
            .filter(|o| {
                o.path == template
                    || (o.path.ends_with(&format!("}}/{name}")) && !template.contains('{'))
            })
            .collect();
        let mut last = String::new();
        for op in makers {
            let path = if op.path.contains('{') {
                match Box::pin(self.ids_for(&op.path, users, office)).await {
                    Ok(ids) => fill(&op.path, &ids),
                    Err(_) => continue,
                }
            } else {
                op.path.clone()
            };
            let schema = op
                .body
                .as_ref()
                .map(|s| spec::resolve(&self.spec, s).clone());
            let mut body = schema
                .as_ref()
                .map_or(Value::Null, |s| spec::example(&self.spec, s));
            let mut fields = Vec::new();
            Self::id_fields(&body, &mut Vec::new(), &mut fields);
            for field in &fields {
                let table = Self::table_for(&self.tables, field.last().unwrap());
                if let Some(Ok(Some(id))) = table.map(|t| self.row_of(&t, office)) {
                    Self::set(&mut body, field, id);
                }
            }
            let required: BTreeSet<String> = schema
                .as_ref()
                .and_then(|s| s["required"].as_array().cloned())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            for _ in 0..3 {
                let mut repaired = false;
                for user in users {
                    let Some(token) = self.tokens.get(user) else {
                        continue;
                    };
                    let res = self.app.post_as(token, &path, &body).await;
                    if res.status.is_success() {
                        let made = res.json();
                        return made["id"].as_i64();
                    }
                    if res.status == 422 {
                        for e in res.json()["errors"].as_array().into_iter().flatten() {
                            let field = e["field"].as_str().unwrap_or_default();
                            // An optional field goes; a list is left empty.
                            if !required.contains(field)
                                && body.as_object_mut().and_then(|b| b.remove(field)).is_some()
                            {
                                repaired = true;
                            } else if body[field].as_array().is_some_and(|a| !a.is_empty()) {
                                body[field] = Value::Array(Vec::new());
                                repaired = true;
                            }
                        }
                    }
                    if res.status != 403 {
                        last = format!("{user}: {} {}", res.status, res.text());
                    }
                    if repaired {
                        break;
                    }
                }
                if !repaired {
                    break;
                }
            }
        }
        eprintln!("battery: could not make a record for {template}: {last}");
        None
    }

    /// Ids for every parameter of `template`, each a record of `office`.
    async fn ids_for(
        &self,
        template: &str,
        users: &[String],
        office: i64,
    ) -> Result<Vec<i64>, Found> {
        let segments: Vec<&str> = template.split('/').collect();
        let mut ids = Vec::new();
        for (i, param) in params(template) {
            let collection = fill(&segments[..i].join("/"), &ids);
            let collection_template = segments[..i].join("/");
            let param = param.trim_matches(|c| c == '{' || c == '}');
            match self
                .record_in(
                    users,
                    &collection,
                    &collection_template,
                    param,
                    office,
                    !ids.is_empty(),
                )
                .await
            {
                Found::Id(id) => ids.push(id),
                other => return Err(other),
            }
        }
        Ok(ids)
    }

    /// How a record reads, and the ETag to change it with: the record's own GET
    /// when the contract has one, else the item in its list.
    async fn snapshot(&self, template: &str, ids: &[i64]) -> (Value, Option<String>) {
        let last = params(template).last().map_or(0, |(i, _)| *i);
        let item_template = template
            .split('/')
            .take(last + 1)
            .collect::<Vec<_>>()
            .join("/");
        let item = fill(&item_template, ids);
        let has_get = self.spec["paths"][&item_template]["get"].is_object();
        for user in self.finders.iter().map(String::as_str).chain(["hq.admin"]) {
            if has_get {
                let res = self.app.get_as(self.token(user), &item).await;
                if res.status == 200 {
                    return (res.json(), res.header("etag").map(str::to_owned));
                }
            } else {
                let list = item
                    .rsplit_once('/')
                    .map_or(item.clone(), |(l, _)| l.to_owned());
                let res = self
                    .app
                    .get_as(self.token(user), &format!("{list}?limit=200"))
                    .await;
                if res.status == 200 {
                    let body = res.json();
                    let id = ids.last().copied().unwrap_or(MISSING);
                    if let Some(found) = body["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|i| i["id"] == id)
                    {
                        let etag = found["version"].as_i64().map(|v| format!("\"{v}\""));
                        return (found.clone(), etag);
                    }
                }
            }
        }
        (Value::Null, None)
    }

    fn code(res: &TestResponse) -> Value {
        serde_json::from_slice::<Value>(&res.body).map_or(Value::Null, |b| b["code"].clone())
    }

    /// Another office's records, through every operation with path parameters.
    pub async fn records_of_another_office(&self) -> (Vec<String>, usize) {
        let mut failures = Vec::new();
        let mut covered = 0;
        for op in self.ops.iter().filter(|op| op.path.contains('{')) {
            let ids = match self.ids_for(&op.path, &self.finders, self.a).await {
                Ok(ids) => ids,
                Err(Found::Unscoped) => continue,
                Err(Found::Nothing(why)) => {
                    failures.push(format!(
                        "{} {}: nothing to test it with: {why}",
                        op.method, op.path
                    ));
                    continue;
                }
                Err(Found::Id(_)) => unreachable!(),
            };
            let (before, etag) = self.snapshot(&op.path, &ids).await;
            let etag = etag.unwrap_or_else(|| "\"1\"".into());
            let body = op.body.as_ref().map(|s| spec::example(&self.spec, s));
            let (mine, missing) = (fill(&op.path, &ids), fill(&op.path, &[]));
            let audit = self.audit_count();
            for user in &self.intruders {
                let a = self.send(user, op, &mine, body.as_ref(), Some(&etag)).await;
                let m = self
                    .send(user, op, &missing, body.as_ref(), Some(&etag))
                    .await;
                if a.status.is_success() {
                    failures.push(format!(
                        "{} {mine}: {user} of office B was answered {} for office A's record",
                        op.method, a.status
                    ));
                } else if a.status != m.status || Self::code(&a) != Self::code(&m) {
                    failures.push(format!(
                        "{} {}: {user} can tell office A's record from a missing one ({} {} vs {} {})",
                        op.method, op.path, a.status, Self::code(&a), m.status, Self::code(&m)
                    ));
                }
            }
            if self.audit_count() != audit {
                failures.push(format!(
                    "{} {mine}: calls of office B's users wrote audit events",
                    op.method
                ));
            }
            let (after, _) = self.snapshot(&op.path, &ids).await;
            if after != before {
                failures.push(format!(
                    "{} {mine}: office A's record changed:\n  before {before}\n  after  {after}",
                    op.method
                ));
            }
            covered += 1;
        }
        (failures, covered)
    }

    /// The table a `*_id` field names: `owner_user_id` → users,
    /// `into_customer_id` → customers, `pre_approval_id` → expense_pre_approvals.
    fn table_for(tables: &BTreeSet<String>, field: &str) -> Option<String> {
        let name = field.strip_suffix("_id")?;
        let words: Vec<&str> = name.split('_').collect();
        for start in 0..words.len() {
            let tail = words[start..].join("_");
            let plural = if tail.ends_with('y') {
                format!("{}ies", &tail[..tail.len() - 1])
            } else if tail.ends_with('s') {
                format!("{tail}es")
            } else {
                format!("{tail}s")
            };
            if tables.contains(&plural) {
                return Some(plural);
            }
            if let Some(t) = tables.iter().find(|t| t.ends_with(&format!("_{plural}"))) {
                return Some(t.clone());
            }
        }
        None
    }

    /// A record of `office` in `table`: the office itself for `offices`, else
    /// the lowest id whose `office_id` is it; `Err` when the table has no
    /// `office_id` (not an office's records).
    fn row_of(&self, table: &str, office: i64) -> Result<Option<i64>, ()> {
        if table == "offices" {
            return Ok(Some(office));
        }
        let sql = format!("SELECT MIN(id) AS n FROM {table} WHERE office_id = {office}");
        self.app
            .conn(|c| diesel::sql_query(&sql).get_result::<MaybeId>(c))
            .map(|r| r.n)
            .map_err(|_| ())
    }

    /// The values the schema allows for `kind_field` beside the field at
    /// `parent` (a path into the body), when it is an enum.
    fn kinds(&self, schema: &Value, parent: &[String], kind_field: &str) -> Vec<String> {
        let mut node = spec::resolve(&self.spec, schema);
        for key in parent {
            node = if key.parse::<usize>().is_ok() {
                spec::resolve(&self.spec, &node["items"])
            } else {
                spec::resolve(&self.spec, &node["properties"][key.as_str()])
            };
        }
        let kind = spec::resolve(&self.spec, &node["properties"][kind_field]);
        kind["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    /// Every `*_id` field of a body, as a path of keys and array indexes.
    fn id_fields(body: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match body {
            Value::Object(map) => {
                for (k, v) in map {
                    at.push(k.clone());
                    if k.ends_with("_id") && (v.is_i64() || v.is_null()) {
                        out.push(at.clone());
                    } else {
                        Self::id_fields(v, at, out);
                    }
                    at.pop();
                }
            }
            Value::Array(items) => {
                if let Some(first) = items.first() {
                    at.push("0".into());
                    Self::id_fields(first, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    fn set(body: &mut Value, path: &[String], value: i64) {
        let mut node = body;
        for key in path {
            node = match node {
                Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
                other => &mut other[key.as_str()],
            };
        }
        *node = Value::from(value);
    }

    /// References in request bodies to another office's records.
    pub async fn references_to_another_office(&self) -> (Vec<String>, usize) {
        let tables = &self.tables;
        let mut failures = Vec::new();
        let mut covered = 0;
        for op in &self.ops {
            let Some(schema) = &op.body else { continue };
            let example = spec::example(&self.spec, schema);
            let mut fields = Vec::new();
            Self::id_fields(&example, &mut Vec::new(), &mut fields);
            if fields.is_empty() {
                continue;
            }
            // B's own records everywhere, so the field under test is the one
            // that differs.
            let mut own = example.clone();
            let mut targets = Vec::new();
            for field in &fields {
                let name = field.last().unwrap();
                // `scope_id` beside `scope_kind` names what the kind says: each
                // kind of the schema's list that is a table is a case.
                let parent = &field[..field.len() - 1];
                let kind_field = format!("{}_kind", name.trim_end_matches("_id"));
                let kinds: Vec<Option<String>> = match self.kinds(schema, parent, &kind_field) {
                    kinds if kinds.is_empty() => vec![None],
                    kinds => kinds.into_iter().map(Some).collect(),
                };
                let mut named_any = false;
                for kind in kinds {
                    let named = kind
                        .as_ref()
                        .map_or_else(|| name.clone(), |k| format!("{k}_id"));
                    let Some(table) = Self::table_for(tables, &named) else {
                        continue;
                    };
                    named_any = true;
                    match (self.row_of(&table, self.b), self.row_of(&table, self.a)) {
                        (Ok(Some(mine)), Ok(Some(theirs))) => {
                            let mut kind_path = parent.to_vec();
                            kind_path.push(kind_field.clone());
                            targets.push((field.clone(), theirs, kind.map(|k| (kind_path, k))));
                            if targets.iter().filter(|t| t.0 == *field).count() == 1 {
                                Self::set(&mut own, field, mine);
                            }
                        }
                        (Ok(Some(mine)), _) => Self::set(&mut own, field, mine),
                        _ => {}
                    }
                }
                if !named_any {
                    // A number kept for a record this database does not hold
                    // (`employee_id`: the HR file's number).
                    eprintln!(
                        "battery: {} {}: `{}` names no table: not checked as a reference",
                        op.method,
                        op.path,
                        field.join(".")
                    );
                }
            }
            let path = match self.ids_for(&op.path, &self.intruders, self.b).await {
                Ok(ids) => fill(&op.path, &ids),
                Err(_) => fill(&op.path, &[]),
            };
            let (_, etag) = if op.path.contains('{') && !path.contains(&MISSING.to_string()) {
                let ids: Vec<i64> = path.split('/').filter_map(|s| s.parse().ok()).collect();
                self.snapshot(&op.path, &ids).await
            } else {
                (Value::Null, None)
            };
            let etag = etag.unwrap_or_else(|| "\"1\"".into());
            for (field, theirs, kind) in targets {
                let (mut foreign, mut missing) = (own.clone(), own.clone());
                if let Some((kind_path, kind)) = &kind {
                    for body in [&mut foreign, &mut missing] {
                        let (last, parent) = kind_path.split_last().unwrap();
                        let node = parent.iter().fold(body, |v, k| &mut v[k.as_str()]);
                        node[last.as_str()] = Value::from(kind.clone());
                    }
                }
                Self::set(&mut foreign, &field, theirs);
                Self::set(&mut missing, &field, MISSING);
                for user in &self.intruders {
                    let before = self.audit_count();
                    let a = self
                        .send(user, op, &path, Some(&foreign), Some(&etag))
                        .await;
                    let m = self
                        .send(user, op, &path, Some(&missing), Some(&etag))
                        .await;
                    let (ja, jm) = (
                        serde_json::from_slice::<Value>(&a.body).unwrap_or(Value::Null),
                        serde_json::from_slice::<Value>(&m.body).unwrap_or(Value::Null),
                    );
                    if a.status.is_success() || m.status.is_success() {
                        failures.push(format!(
                            "{} {path} `{}`: {user} was answered {} for office A's record and {} for a missing one",
                            op.method, field.join("."), a.status, m.status
                        ));
                    } else if a.status != m.status
                        || ja["code"] != jm["code"]
                        || ja["errors"] != jm["errors"]
                    {
                        failures.push(format!(
                            "{} {path} `{}`: {user} can tell office A's record from a missing one:\n  {ja}\n  {jm}",
                            op.method, field.join(".")
                        ));
                    }
                    if self.audit_count() != before {
                        failures.push(format!(
                            "{} {path} `{}`: something was written",
                            op.method,
                            field.join(".")
                        ));
                    }
                }
                covered += 1;
            }
        }
        (failures, covered)
    }

    /// Server-owned fields sent in request bodies.
    pub async fn server_owned_fields(&self) -> (Vec<String>, usize) {
        let mut failures = Vec::new();
        let mut covered = 0;
        let audit = self.audit_count();
        for op in &self.ops {
            let Some(schema) = &op.body else { continue };
            let body = spec::example(&self.spec, schema);
            let Some(accepted) = body.as_object() else {
                continue;
            };
            let responses = &self.spec["paths"][&op.path][op.method.to_lowercase()]["responses"];
            let answer = ["200", "201"]
                .iter()
                .map(|s| &responses[*s]["content"]["application/json"]["schema"])
                .find(|s| !s.is_null());
            let Some(answer) = answer else { continue };
            let Some(answered) = spec::example(&self.spec, answer).as_object().cloned() else {
                continue;
            };
            let path = fill(&op.path, &[]);
            for (field, value) in answered.iter().filter(|(k, _)| !accepted.contains_key(*k)) {
                let mut sent = body.clone();
                sent[field.as_str()] = value.clone();
                let res = self
                    .send("hq.admin", op, &path, Some(&sent), Some("\"1\""))
                    .await;
                let problem = serde_json::from_slice::<Value>(&res.body).unwrap_or(Value::Null);
                if res.status != 400
                    || problem["code"] != "unknown_field"
                    || !problem.to_string().contains(field.as_str())
                {
                    failures.push(format!(
                        "{} {}: `{field}` was not refused as unknown: {} {problem}",
                        op.method, op.path, res.status
                    ));
                }
                covered += 1;
            }
        }
        if self.audit_count() != audit {
            failures.push("bodies with server-owned fields wrote audit events".into());
        }
        (failures, covered)
    }

    /// Every answer seen so far: its status documented for its operation, and
    /// every error problem+json with its own status and a documented code.
    pub fn answers(&self) -> (Vec<String>, usize) {
        let codes: BTreeSet<String> = self.spec["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let mut failures = BTreeSet::new();
        let seen = self.seen.borrow();
        for s in seen.iter() {
            let responses = &self.spec["paths"][&s.template][&s.method]["responses"];
            if responses[s.status.to_string()].is_null() && responses["default"].is_null() {
                failures.insert(format!(
                    "{} {}: answered {}, which it does not document",
                    s.method.to_uppercase(),
                    s.template,
                    s.status
                ));
            }
            for ((name, want), got) in SECURITY_HEADERS.iter().zip(&s.security) {
                if got.as_deref() != Some(*want) {
                    failures.insert(format!(
                        "{} {}: `{name}` is {got:?}",
                        s.method.to_uppercase(),
                        s.template
                    ));
                }
            }
            if s.status >= 400 {
                let problem: Value = serde_json::from_slice(&s.body).unwrap_or(Value::Null);
                if !s.content_type.starts_with("application/problem+json") {
                    failures.insert(format!(
                        "{} {}: a {} that is not problem+json ({})",
                        s.method.to_uppercase(),
                        s.template,
                        s.status,
                        s.content_type
                    ));
                }
                if problem["status"] != s.status {
                    failures.insert(format!(
                        "{} {}: a {} whose body says status {}",
                        s.method.to_uppercase(),
                        s.template,
                        s.status,
                        problem["status"]
                    ));
                }
                if !problem["code"].as_str().is_some_and(|c| codes.contains(c)) {
                    failures.insert(format!(
                        "{} {}: code {} is not a documented one",
                        s.method.to_uppercase(),
                        s.template,
                        problem["code"]
                    ));
                }
            }
        }
        (failures.into_iter().collect(), seen.len())
    }
}

fn report(section: &str, (failures, covered): (Vec<String>, usize), at_least: usize) {
    eprintln!(
        "battery: {section}: {covered} cases, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{section}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(covered >= at_least, "{section}: only {covered} cases");
}

db_test! {
    async fn the_battery_holds_for_every_operation_of_the_contract(app) {
        app.load_demo();
        let battery = Battery::new(&app).await;
        assert!(battery.intruders.len() >= 5, "office B's users: {:?}", battery.intruders);
        report("records of another office", battery.records_of_another_office().await, 60);
        report("references to another office", battery.references_to_another_office().await, 10);
        report("server-owned fields", battery.server_owned_fields().await, 50);
        report("answers", battery.answers(), 1000);
    }
}

/// A list and a record route written without the scoped mechanisms, documenting
/// no error: any customer, whoever asks.
#[utoipa::path(responses((status = 200, description = "every customer", body = kernel::Page<i64>)))]
#[get("/test/leaky")]
async fn leaky_list(
    db: actix_web::web::Data<store::Db>,
    _p: kernel::Principal,
) -> Result<actix_web::HttpResponse, kernel::ApiError> {
    use store::schema::customers;
    let rows: Vec<(i64, i64)> = db
        .run(|c| {
            customers::table
                .select((customers::id, customers::office_id))
                .load(c)
                .map_err(store::db_error)
        })
        .await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(id, office)| serde_json::json!({"id": id, "office_id": office}))
        .collect();
    Ok(
        actix_web::HttpResponse::Ok()
            .json(serde_json::json!({"items": items, "next_cursor": null})),
    )
}

#[utoipa::path(params(("id" = i64, Path)), responses((status = 200, description = "any customer")))]
#[get("/test/leaky/{id}")]
async fn leaky_record(
    db: actix_web::web::Data<store::Db>,
    _p: kernel::Principal,
    id: actix_web::web::Path<i64>,
) -> Result<actix_web::HttpResponse, kernel::ApiError> {
    use store::schema::customers;
    let id = id.into_inner();
    let (id, office): (i64, i64) = db
        .run(move |c| {
            customers::table
                .find(id)
                .select((customers::id, customers::office_id))
                .first(c)
                .map_err(store::db_error)
        })
        .await?;
    Ok(actix_web::HttpResponse::Ok().json(serde_json::json!({"id": id, "office_id": office})))
}

fn leaky_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(leaky_list).service(leaky_record);
}

/// A route added without scope and without documented errors fails the battery
/// with no test written for it.
#[actix_web::test]
async fn a_route_without_scope_or_documented_errors_fails_the_battery() {
    let app = TestApp::try_with(store::Backend::Sqlite, |_| {}, leaky_routes)
        .await
        .unwrap();
    app.load_demo();
    let battery = Battery::new(&app).await;
    let (failures, _) = battery.records_of_another_office().await;
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("GET /test/leaky/") && f.contains("was answered 200")),
        "the unscoped record route went unnoticed: {failures:#?}"
    );
    assert!(
        failures.iter().all(|f| f.contains("/test/leaky")),
        "{failures:#?}"
    );
    let (failures, _) = battery.answers();
    assert!(
        failures.iter().any(
            |f| f.starts_with("GET /test/leaky/{id}: answered 404, which it does not document")
        ),
        "the undocumented 404 went unnoticed: {failures:#?}"
    );
}

db_test! {
    /// No one grants beyond their own level or offices, for every built-in role
    /// (from `GET /org/roles`) and every office user who may assign roles: an
    /// office role in their own office is granted; a region- or company-level
    /// role is refused (403); any role in another office is answered as in an
    /// office that does not exist, and nothing is stored.
    async fn no_one_grants_a_role_beyond_their_own_level_or_offices(app) {
        use store::schema::{role_assignments as ra, users};
        app.load_demo();
        let roles = app.get_as(&app.login("hq.admin").await, "/api/v1/org/roles").await.ok(200);
        let roles = roles.as_array().unwrap().clone();
        assert!(roles.len() >= 15, "{roles:?}");
        let (gz, sh) = (app.office_id("GZ01"), app.office_id("SH01"));
        let office_users: Vec<String> = app.conn(|c| {
            users::table
                .filter(users::office_id.eq(gz))
                .select(users::username)
                .order(users::id)
                .load(c)
                .unwrap()
        });
        let staff = app.user_id("gz01.staff");
        let region = app.get_as(&app.login("hq.admin").await, &format!("/api/v1/org/offices/{gz}")).await.ok(200)["region_id"].as_i64().unwrap();
        let mut granters = 0;
        let mut cases = 0;
        for username in &office_users {
            let token = app.login(username).await;
            let me = app.get_as(&token, "/api/v1/me").await.ok(200);
            if !me["permissions"].as_array().unwrap().contains(&serde_json::json!("role_assignment:manage")) {
                continue;
            }
            granters += 1;
            for role in &roles {
                let code = role["code"].as_str().unwrap();
                let level = role["level"].as_str().unwrap();
                let body = |kind: &str, scope: Option<i64>| {
                    serde_json::json!({"user_id": staff, "role": code, "scope_kind": kind, "scope_id": scope, "valid_from": "2026-01-01", "valid_to": "2099-12-31"})
                };
                let stored = || app.conn(|c| ra::table.filter(ra::user_id.eq(staff)).count().get_result::<i64>(c).unwrap());
                let before = stored();
                match level {
                    "company" | "region" => {
                        let scope = (level == "region").then_some(region);
                        let res = app.post_as(&token, "/api/v1/org/role-assignments", &body(level, scope)).await;
                        assert_eq!(res.status, 403, "{username} granted {code} ({level}): {}", res.text());
                        assert_eq!(stored(), before, "{username}: {code} stored");
                    }
                    _ => {
                        let foreign = app.post_as(&token, "/api/v1/org/role-assignments", &body("office", Some(sh))).await;
                        let missing = app.post_as(&token, "/api/v1/org/role-assignments", &body("office", Some(MISSING))).await;
                        assert_eq!(
                            (foreign.status, foreign.json()["errors"].clone()),
                            (missing.status, missing.json()["errors"].clone()),
                            "{username} granting {code} in SH01: {} / {}", foreign.text(), missing.text()
                        );
                        assert!(!foreign.status.is_success());
                        assert_eq!(stored(), before, "{username}: {code} stored in SH01");
                        let own = app.post_as(&token, "/api/v1/org/role-assignments", &body("office", Some(gz))).await;
                        // One director per office: the second is a 409.
                        assert!(own.status == 201 || (code == "office_director" && own.status == 409), "{username} granting {code} in GZ01: {}", own.text());
                    }
                }
                cases += 1;
            }
        }
        eprintln!("battery: grants: {granters} granters x {} roles, {cases} cases", roles.len());
        assert!(granters >= 1 && cases >= 15);
    }
}
