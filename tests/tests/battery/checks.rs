//! The battery's checks, each over every operation of the contract.

use std::collections::{BTreeMap, BTreeSet};

use branchline_tests::spec;
use serde_json::Value;

use crate::harness::{Battery, Found, MISSING, SECURITY_HEADERS, field_name, fill};

impl Battery<'_> {
    /// Another office's records, through every operation with path parameters.
    pub(crate) async fn records_of_another_office(&self) -> (Vec<String>, usize) {
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

    /// References in request bodies to another office's records.
    pub(crate) async fn references_to_another_office(&self) -> (Vec<String>, usize) {
        let tables = &self.tables;
        let mut failures = Vec::new();
        let mut covered = 0;
        let mut unread = BTreeSet::new();
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
                    // A number kept for a record this database does not hold.
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
                    // A case counts when the reference was read: the answer to
                    // the missing id names the field. Otherwise the call was
                    // refused before (no permission, no such parent record).
                    let name = field_name(&field);
                    let read = jm["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|e| e["field"] == name.as_str());
                    if read {
                        covered += 1;
                    } else {
                        unread.insert(format!("{} {} `{name}`", op.method, op.path));
                    }
                }
            }
        }
        eprintln!(
            "battery: references: {} fields refused before the reference was read by some user: {unread:?}",
            unread.len()
        );
        (failures, covered)
    }

    /// Server-owned fields sent in request bodies.
    pub(crate) async fn server_owned_fields(&self) -> (Vec<String>, usize) {
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
    pub(crate) fn answers(&self) -> (Vec<String>, usize) {
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

    /// Functions a role lacks (BFLA). What each mutating operation needs is
    /// learned from `nobody`, a user who holds no role: the 403 names the
    /// permission (`Principal::require` comes before any load or rule). Then
    /// every demo user of office A and of HQ whose permissions (`GET /me`) lack
    /// it calls the operation on A's record with the contract's example body:
    /// 403 every time, and nothing written. Also returns the operations whose
    /// answer to `nobody` named no permission.
    pub(crate) async fn functions_a_role_lacks(
        &self,
        nobody: &str,
    ) -> (Vec<String>, usize, BTreeSet<String>) {
        let mut failures = Vec::new();
        let mut covered = 0;
        let mut unguarded = BTreeSet::new();
        let mut held: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for user in self.finders.iter().filter(|u| *u != nobody) {
            let me = self
                .app
                .get_as(self.token(user), "/api/v1/me")
                .await
                .ok(200);
            let perms = me["permissions"].as_array().cloned().unwrap_or_default();
            held.insert(
                user,
                perms
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect(),
            );
        }
        let mut token = self.token(nobody).to_owned();
        for op in self.ops.iter().filter(|o| o.method != "GET") {
            let path = match self.ids_for(&op.path, &self.finders, self.a).await {
                Ok(ids) => fill(&op.path, &ids),
                Err(_) => fill(&op.path, &[]),
            };
            let body = op.body.as_ref().map(|_| self.example_in(op, self.a));
            let etag = Some("\"1\"");
            let mut res = self.send_with(&token, op, &path, body.as_ref(), etag).await;
            if res.status == 401 {
                // An earlier operation (signing out) ended the session.
                token = self.app.login(nobody).await;
                res = self.send_with(&token, op, &path, body.as_ref(), etag).await;
            }
            let detail = serde_json::from_slice::<Value>(&res.body)
                .ok()
                .and_then(|p| p["detail"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let perm = match (res.status.as_u16(), detail.split('`').nth(1)) {
                (403, Some(perm)) => perm.to_owned(),
                _ => {
                    unguarded.insert(format!("{} {}", op.method, op.path));
                    continue;
                }
            };
            for (user, perms) in &held {
                if perms.contains(&perm) {
                    continue;
                }
                let before = self.audit_count();
                let res = self.send(user, op, &path, body.as_ref(), etag).await;
                if res.status != 403 {
                    failures.push(format!(
                        "{} {path}: {user} lacks `{perm}` and was answered {} {}",
                        op.method,
                        res.status,
                        res.text()
                    ));
                }
                if self.audit_count() != before {
                    failures.push(format!(
                        "{} {path}: {user} lacks `{perm}` and something was written",
                        op.method
                    ));
                }
                covered += 1;
            }
        }
        (failures, covered, unguarded)
    }
}
