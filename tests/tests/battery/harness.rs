//! What the battery's checks share: the operations of the served contract, the
//! demo's users and their tokens, finding (or making) a record of an office for
//! every path parameter, sending a request and keeping what was answered.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use actix_web::test::TestRequest;
use branchline_tests::spec::{self, Operation};
use branchline_tests::{TestApp, TestResponse};
use diesel::prelude::*;
use serde_json::Value;
/// An id no record has.
pub(crate) const MISSING: i64 = 987_654_321;

/// One answer the battery saw.
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) template: String,
    pub(crate) status: u16,
    pub(crate) content_type: String,
    /// The security headers every answer carries, as they came.
    pub(crate) security: [Option<String>; 3],
    pub(crate) body: Vec<u8>,
}

pub(crate) const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
];

/// Where a record of an office was looked for.
pub(crate) enum Found {
    /// The record's id.
    Id(i64),
    /// The collection's items name no office: not an office's records.
    Unscoped,
    /// Nothing to test with, and why.
    Nothing(String),
}

pub(crate) struct Battery<'a> {
    pub(crate) app: &'a TestApp,
    pub(crate) spec: Value,
    pub(crate) ops: Vec<Operation>,
    pub(crate) seen: RefCell<Vec<Seen>>,
    pub(crate) tokens: BTreeMap<String, String>,
    /// Users of office A, to find A's records with.
    pub(crate) finders: Vec<String>,
    /// Users of office B whose every assignment is within B.
    pub(crate) intruders: Vec<String>,
    pub(crate) a: i64,
    pub(crate) b: i64,
    /// The database's tables.
    pub(crate) tables: BTreeSet<String>,
}

/// The tables of the database.
pub(crate) fn tables(app: &TestApp) -> BTreeSet<String> {
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
pub(crate) fn offices_of(item: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = item["office_id"].as_i64().into_iter().collect();
    for v in item.as_object().into_iter().flat_map(|o| o.values()) {
        if v.is_object() {
            out.extend(v["office_id"].as_i64());
        }
    }
    out
}

pub(crate) fn params(template: &str) -> Vec<(usize, &str)> {
    template
        .split('/')
        .enumerate()
        .filter(|(_, s)| s.starts_with('{'))
        .collect()
}

/// A field's path as problems name it: `lines[0].amount`.
pub(crate) fn field_name(path: &[String]) -> String {
    let mut name = String::new();
    for key in path {
        if key.parse::<usize>().is_ok() {
            name.push_str(&format!("[{key}]"));
        } else {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(key);
        }
    }
    name
}

pub(crate) fn fill(template: &str, ids: &[i64]) -> String {
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
pub(crate) struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) n: i64,
}

#[derive(QueryableByName)]
pub(crate) struct MaybeId {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub(crate) n: Option<i64>,
}

impl<'a> Battery<'a> {
    pub(crate) async fn new(app: &'a TestApp) -> Battery<'a> {
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

    pub(crate) fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }

    pub(crate) fn audit_count(&self) -> i64 {
        self.app.conn(|c| {
            diesel::sql_query("SELECT COUNT(*) AS n FROM audit_events")
                .get_result::<Count>(c)
                .unwrap()
                .n
        })
    }

    pub(crate) async fn send(
        &self,
        user: &str,
        op: &Operation,
        path: &str,
        body: Option<&Value>,
        etag: Option<&str>,
    ) -> TestResponse {
        self.send_with(self.token(user), op, path, body, etag).await
    }

    /// [`Battery::send`] with a token of the caller's own.
    pub(crate) async fn send_with(
        &self,
        token: &str,
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
            .insert_header(("authorization", format!("Bearer {token}")));
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
    pub(crate) async fn record_in(
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
    pub(crate) async fn make_in(
        &self,
        users: &[String],
        template: &str,
        office: i64,
    ) -> Option<i64> {
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
            let mut body = self.example_in(op, office);
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

    /// The contract's example body of `op` (null without one), every `*_id`
    /// field naming a record of `office` where its table has one.
    pub(crate) fn example_in(&self, op: &Operation, office: i64) -> Value {
        let Some(schema) = &op.body else {
            return Value::Null;
        };
        let mut body = spec::example(&self.spec, schema);
        let mut fields = Vec::new();
        Self::id_fields(&body, &mut Vec::new(), &mut fields);
        for field in &fields {
            let table = Self::table_for(&self.tables, field.last().unwrap());
            if let Some(Ok(Some(id))) = table.map(|t| self.row_of(&t, office)) {
                Self::set(&mut body, field, id);
            }
        }
        body
    }

    /// Ids for every parameter of `template`, each a record of `office`.
    pub(crate) async fn ids_for(
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
    pub(crate) async fn snapshot(&self, template: &str, ids: &[i64]) -> (Value, Option<String>) {
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

    pub(crate) fn code(res: &TestResponse) -> Value {
        serde_json::from_slice::<Value>(&res.body).map_or(Value::Null, |b| b["code"].clone())
    }

    /// The table a `*_id` field names: `owner_user_id` → users,
    /// `into_customer_id` → customers, `pre_approval_id` → expense_pre_approvals.
    pub(crate) fn table_for(tables: &BTreeSet<String>, field: &str) -> Option<String> {
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
    pub(crate) fn row_of(&self, table: &str, office: i64) -> Result<Option<i64>, ()> {
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
    pub(crate) fn kinds(&self, schema: &Value, parent: &[String], kind_field: &str) -> Vec<String> {
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
    pub(crate) fn id_fields(body: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
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

    pub(crate) fn set(body: &mut Value, path: &[String], value: i64) {
        let mut node = body;
        for key in path {
            node = match node {
                Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
                other => &mut other[key.as_str()],
            };
        }
        *node = Value::from(value);
    }
}
