//! Reading the webhook properties of one element into a
//! [`WebhookDefinition`]: the `zeebe:property` bindings of the Twilio element
//! templates, and the generic webhook keys Camunda's runtime also reads (the
//! list is in `webhook/README.md`, "What it reads from BPMN").

use std::time::Duration;

use super::secrets::{self, SecretSource};
use super::{
    Compiled, DefinitionError, DefinitionErrors, ElementKind, MethodFilter, RawWebhook, Target,
    Verification, WebhookDefinition, DEFAULT_MESSAGE_TTL,
};
use crate::secret::Secret;
use crate::settings::DispatchMode;
use crate::twilio::Algorithm;

/// Properties whose presence would change behaviour we don't implement;
/// ignoring them silently could open an endpoint the modeller meant to lock.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "inbound.verificationExpression",
        "verification expressions are not supported",
    ),
    (
        "inbound.responseBodyExpression",
        "this legacy property was replaced by `inbound.responseExpression`",
    ),
    (
        "synchronousResponse",
        "synchronous responses (waiting for the process) are not supported",
    ),
];

struct Props<'a> {
    raw: &'a RawWebhook,
    secrets: &'a dyn SecretSource,
    errors: Vec<DefinitionError>,
}

impl<'a> Props<'a> {
    /// The first non-blank value of `name` (duplicates: first wins, as in
    /// Camunda; the Twilio templates' empty second `inbound.context` is skipped).
    fn raw(&self, name: &str) -> Option<&'a str> {
        self.raw
            .properties
            .iter()
            .find(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// A plain (non-FEEL) value, with secrets resolved in `inbound.*` keys.
    fn text(&mut self, name: &str) -> Option<String> {
        let value = self.raw(name)?.trim();
        if !name.starts_with("inbound.") {
            return Some(value.to_owned());
        }
        match secrets::resolve(value, self.secrets) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(DefinitionError::property(
                    &self.raw.origin,
                    name,
                    e.to_string(),
                ));
                None
            }
        }
    }

    fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors
            .push(DefinitionError::property(&self.raw.origin, name, message));
    }

    /// Compiles a FEEL property (leading `=` stripped); blank means absent.
    fn feel(&mut self, name: &'static str, engine: &feel::Engine) -> Option<Compiled> {
        let value = self.raw(name)?;
        let source = strip_feel(value);
        if source.is_empty() {
            return None;
        }
        match engine.compile_expression(source) {
            Ok(expression) => Some(Compiled {
                property: name,
                source: source.to_owned(),
                expression,
            }),
            Err(e) => {
                self.error(
                    name,
                    format!(
                        "FEEL error at line {}, column {}: {}\n{}",
                        e.line(),
                        e.column(),
                        e.message(),
                        indent(e.excerpt())
                    ),
                );
                None
            }
        }
    }

    fn flag(&mut self, name: &str, yes: &str, no: &str) -> bool {
        match self.raw(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if v == yes => true,
            Some(v) if v == no => false,
            Some(v) => {
                self.error(name, format!("expected `{yes}` or `{no}`, found `{v}`"));
                false
            }
        }
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Removes a leading `=` (and surrounding blanks) from a FEEL property.
pub(crate) fn strip_feel(value: &str) -> &str {
    let value = value.trim();
    value.strip_prefix('=').unwrap_or(value).trim()
}

/// Compiles one element's properties; every problem is reported at once.
pub fn compile(
    raw: &RawWebhook,
    engine: &feel::Engine,
    secrets: &dyn SecretSource,
) -> Result<WebhookDefinition, DefinitionErrors> {
    let mut p = Props {
        raw,
        secrets,
        errors: Vec::new(),
    };

    match p.raw("inbound.type").map(str::trim) {
        Some(super::WEBHOOK_TYPE) => {}
        Some(other) => p.error(
            "inbound.type",
            format!(
                "`{other}` is not a webhook (only `{}` is served)",
                super::WEBHOOK_TYPE
            ),
        ),
        None => p.error("inbound.type", "missing"),
    }

    let id = p.text("inbound.context").unwrap_or_default();
    if id.is_empty() && p.errors.is_empty() {
        p.error("inbound.context", "the webhook id (path) is not provided");
    }
    if let Some(bad) = id
        .chars()
        .find(|c| matches!(c, '/' | '?' | '#' | '%') || c.is_whitespace() || c.is_control())
    {
        p.error(
            "inbound.context",
            format!("the webhook id `{id}` contains {bad:?}, which cannot appear in one URL path segment"),
        );
    }

    let method = match p.text("inbound.method").map(|m| m.to_ascii_lowercase()) {
        None => MethodFilter::Any,
        Some(m) if m == "any" => MethodFilter::Any,
        Some(m) if ["get", "post", "put", "delete", "head"].contains(&m.as_str()) => {
            MethodFilter::Only(m.to_ascii_uppercase())
        }
        Some(m) => {
            p.error(
                "inbound.method",
                format!("unknown method `{m}` (expected any, get, post, put or delete)"),
            );
            MethodFilter::Any
        }
    };

    let verification = verification(&mut p);

    match p.text("inbound.auth.type").map(|t| t.to_ascii_uppercase()) {
        None => {}
        Some(t) if t == "NONE" => {}
        Some(t) => p.error(
            "inbound.auth.type",
            format!("authorization `{t}` is not supported"),
        ),
    }
    for (name, why) in UNSUPPORTED {
        if let Some(value) = p.raw(name) {
            if !(*name == "synchronousResponse" && value.trim().eq_ignore_ascii_case("false")) {
                p.error(name, *why);
            }
        }
    }

    let activation = p
        .feel("activationCondition", engine)
        .or_else(|| p.feel("inbound.activationCondition", engine));
    let consume_unmatched = p.flag("consumeUnmatchedEvents", "true", "false");
    let dispatch = match p
        .raw("webhook.dispatch")
        .map(|v| v.trim().to_ascii_lowercase())
    {
        None => None,
        Some(v) if v == "outbox" => Some(DispatchMode::Outbox),
        Some(v) if v == "sync" => Some(DispatchMode::Sync),
        Some(v) => {
            p.error(
                "webhook.dispatch",
                format!("expected `outbox` or `sync`, found `{v}`"),
            );
            None
        }
    };

    let target = match raw.kind {
        ElementKind::StartEvent => Target::StartProcess {
            bpmn_process_id: raw.process_id.clone(),
            version: raw.version,
        },
        kind => {
            let key_required = kind != ElementKind::MessageStartEvent;
            let correlation_key = p.feel("correlationKeyExpression", engine);
            if key_required
                && correlation_key.is_none()
                && p.raw("correlationKeyExpression").is_none()
            {
                p.error(
                    "correlationKeyExpression",
                    format!(
                        "a {} needs a correlation key expression (payload side)",
                        kind.label()
                    ),
                );
            }
            let message_id = p.feel("messageIdExpression", engine);
            let time_to_live = match p.text("messageTtl") {
                None => DEFAULT_MESSAGE_TTL,
                Some(ttl) => parse_duration(&ttl).unwrap_or_else(|| {
                    p.error(
                        "messageTtl",
                        format!("`{ttl}` is not an ISO-8601 duration like PT1H or P1D"),
                    );
                    DEFAULT_MESSAGE_TTL
                }),
            };
            let message = raw.message.clone();
            if message.is_none() {
                p.errors.push(DefinitionError::element(
                    &raw.origin,
                    format!("the {} references no message with a name", kind.label()),
                ));
            }
            let message = message.unwrap_or_else(|| super::MessageRef {
                name: String::new(),
                subscription_key: None,
            });
            Target::Message {
                name: message.name,
                correlation_key,
                key_required,
                message_id,
                time_to_live,
                subscription_key: message.subscription_key,
            }
        }
    };

    let result_variable = p.text("resultVariable");
    let result_expression = p.feel("resultExpression", engine);
    let response_expression = p.feel("inbound.responseExpression", engine);

    if !p.errors.is_empty() {
        return Err(DefinitionErrors(p.errors));
    }
    let mut definition = WebhookDefinition {
        id,
        origin: raw.origin.clone(),
        kind: raw.kind,
        process_id: raw.process_id.clone(),
        method,
        verification,
        activation,
        consume_unmatched,
        target,
        result_variable,
        result_expression,
        response_expression,
        tenant_id: raw.tenant_id.clone(),
        dispatch,
        context_parts: super::ContextParts::ALL,
    };
    definition.context_parts = definition.parts_read();
    Ok(definition)
}

fn verification(p: &mut Props<'_>) -> Option<Verification> {
    if !p.flag("inbound.shouldValidateHmac", "enabled", "disabled") {
        return None;
    }
    let secret = p.text("inbound.hmacSecret");
    if secret.is_none() && p.raw("inbound.hmacSecret").is_none() {
        p.error("inbound.hmacSecret", "HMAC is enabled but no secret is set");
    }
    let header = p
        .text("inbound.hmacHeader")
        .unwrap_or_else(|| "x-twilio-signature".to_owned())
        .to_ascii_lowercase();
    let algorithm = match p.text("inbound.hmacAlgorithm") {
        None => Algorithm::Sha1,
        Some(a) => Algorithm::from_camunda(&a).unwrap_or_else(|| {
            p.error(
                "inbound.hmacAlgorithm",
                format!("unknown algorithm `{a}` (expected sha_1, sha_256 or sha_512)"),
            );
            Algorithm::Sha1
        }),
    };
    let scopes = match p.raw("inbound.hmacScopes") {
        None => vec!["body".to_owned()],
        Some(v) => match parse_scopes(v) {
            Some(s) => s,
            None => {
                p.error(
                    "inbound.hmacScopes",
                    format!("`{v}` is not a list of scopes like [\"url\",\"body\",\"parameters\"]"),
                );
                return None;
            }
        },
    };
    let secret = Secret::new(secret?);
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("url") && has("body") && has("parameters") && scopes.len() == 3 {
        Some(Verification::Twilio {
            secret,
            header,
            algorithm,
        })
    } else if has("body") && scopes.len() == 1 {
        Some(Verification::Body {
            secret,
            header,
            algorithm,
        })
    } else {
        p.error(
            "inbound.hmacScopes",
            format!("scopes {scopes:?} are not supported (use [\"url\",\"body\",\"parameters\"] for Twilio or [\"body\"])"),
        );
        None
    }
}

/// Reads `=["url","body","parameters"]`: a FEEL list of string literals, which
/// is also JSON, so no evaluation is needed.
fn parse_scopes(value: &str) -> Option<Vec<String>> {
    let list: Vec<String> = serde_json::from_str(strip_feel(value)).ok()?;
    let mut scopes: Vec<String> = list
        .into_iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    scopes.sort();
    scopes.dedup();
    Some(scopes)
}

/// Parses the ISO-8601 durations Java's `Duration.parse` accepts:
/// `PnDTnHnMn.nS` (each part optional, at least one present).
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let upper = text.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut millis: u128 = 0;
    let mut any = false;
    if !days.is_empty() {
        let n: u128 = days.strip_suffix('D')?.parse().ok()?;
        millis = millis.checked_add(n.checked_mul(86_400_000)?)?;
        any = true;
    }
    if let Some(mut time) = time {
        if time.is_empty() {
            return None;
        }
        for (unit, scale) in [('H', 3_600_000u128), ('M', 60_000)] {
            if let Some(at) = time.find(unit) {
                let n: u128 = time[..at].parse().ok()?;
                millis = millis.checked_add(n.checked_mul(scale)?)?;
                time = &time[at + 1..];
                any = true;
            }
        }
        if let Some(secs) = time.strip_suffix('S') {
            let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
            let whole: u128 = whole.parse().ok()?;
            let mut frac_ms: u128 = 0;
            for (i, c) in frac.chars().take(3).enumerate() {
                frac_ms += u128::from(c.to_digit(10)?) * [100, 10, 1][i];
            }
            millis = millis.checked_add(whole.checked_mul(1000)?.checked_add(frac_ms)?)?;
            any = true;
        } else if !time.is_empty() {
            return None;
        }
    }
    if !any {
        return None;
    }
    Some(Duration::from_millis(u64::try_from(millis).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::secrets::MapSecrets;
    use crate::webhooks::{MessageRef, Origin};

    fn raw(kind: ElementKind, props: &[(&str, &str)]) -> RawWebhook {
        let mut properties = vec![
            ("inbound.type".to_owned(), "io.camunda:webhook:1".to_owned()),
            ("inbound.context".to_owned(), "hook".to_owned()),
        ];
        properties.extend(
            props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        RawWebhook {
            origin: Origin {
                source: crate::webhooks::Source::File("f.bpmn".into()),
                element_id: "E1".into(),
                line: Some(3),
            },
            kind,
            process_id: "p".into(),
            version: -1,
            tenant_id: None,
            message: (kind != ElementKind::StartEvent).then(|| MessageRef {
                name: "m".into(),
                subscription_key: None,
            }),
            properties,
        }
    }

    fn secrets() -> MapSecrets {
        MapSecrets(
            [("TOKEN".to_owned(), "s3cret".to_owned())]
                .into_iter()
                .collect(),
        )
    }

    fn errors(kind: ElementKind, props: &[(&str, &str)]) -> String {
        compile(&raw(kind, props), &feel::Engine::new(), &secrets())
            .unwrap_err()
            .to_string()
    }

    fn ok(kind: ElementKind, props: &[(&str, &str)]) -> WebhookDefinition {
        compile(&raw(kind, props), &feel::Engine::new(), &secrets()).unwrap()
    }

    #[test]
    fn defaults() {
        let def = ok(ElementKind::StartEvent, &[]);
        assert_eq!(def.id, "hook");
        assert_eq!(def.method, MethodFilter::Any);
        assert!(def.verification.is_none());
        assert!(!def.consume_unmatched);
        assert!(
            matches!(def.target, Target::StartProcess { ref bpmn_process_id, version: -1 } if bpmn_process_id == "p")
        );
    }

    #[test]
    fn twilio_hmac_with_secret_and_case_insensitive_values() {
        let def = ok(
            ElementKind::StartEvent,
            &[
                ("inbound.method", "POST"),
                ("inbound.shouldValidateHmac", "Enabled"),
                ("inbound.hmacSecret", "{{secrets.TOKEN}}"),
                ("inbound.hmacScopes", "=[\"url\",\"body\",\"parameters\"]"),
                ("inbound.hmacHeader", "X-Twilio-Signature"),
                ("inbound.hmacAlgorithm", "sha_1"),
            ],
        );
        assert_eq!(def.method, MethodFilter::Only("POST".into()));
        assert_eq!(
            def.verification,
            Some(Verification::Twilio {
                secret: Secret::new("s3cret"),
                header: "x-twilio-signature".into(),
                algorithm: Algorithm::Sha1
            })
        );
        assert!(
            !format!("{def:?}").contains("s3cret"),
            "secrets are redacted in Debug"
        );
    }

    #[test]
    fn body_scope_and_message_defaults() {
        let def = ok(
            ElementKind::MessageStartEvent,
            &[
                ("inbound.shouldValidateHmac", "enabled"),
                ("inbound.hmacSecret", "plain"),
                ("inbound.hmacScopes", "=[\"body\"]"),
                ("inbound.hmacAlgorithm", "sha_256"),
                ("messageTtl", "PT5M"),
                ("consumeUnmatchedEvents", "true"),
            ],
        );
        assert!(matches!(
            def.verification,
            Some(Verification::Body {
                algorithm: Algorithm::Sha256,
                ..
            })
        ));
        assert!(def.consume_unmatched);
        let Target::Message {
            name,
            key_required,
            time_to_live,
            correlation_key,
            ..
        } = def.target
        else {
            panic!()
        };
        assert_eq!(
            (name.as_str(), key_required, time_to_live),
            ("m", false, Duration::from_secs(300))
        );
        assert!(correlation_key.is_none());
    }

    #[test]
    fn webhook_dispatch_overrides_the_global_mode() {
        let def = ok(ElementKind::StartEvent, &[("webhook.dispatch", " Sync ")]);
        assert_eq!(def.dispatch, Some(DispatchMode::Sync));
        let def = ok(ElementKind::StartEvent, &[]);
        assert_eq!(def.dispatch, None);
        let text = errors(ElementKind::StartEvent, &[("webhook.dispatch", "later")]);
        assert!(
            text.contains(
                "property `webhook.dispatch`: expected `outbox` or `sync`, found `later`"
            ),
            "{text}"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_property() {
        let text = errors(
            ElementKind::BoundaryEvent,
            &[
                ("inbound.method", "patch"),
                ("inbound.shouldValidateHmac", "yes"),
                ("messageTtl", "1 hour"),
                ("consumeUnmatchedEvents", "maybe"),
                ("inbound.auth.type", "BASIC"),
                ("synchronousResponse", "true"),
            ],
        );
        for needle in [
            "f.bpmn:3 (element `E1`), property `inbound.method`: unknown method `patch`",
            "property `inbound.shouldValidateHmac`: expected `enabled` or `disabled`, found `yes`",
            "property `messageTtl`: `1 hour` is not an ISO-8601 duration",
            "property `consumeUnmatchedEvents`",
            "property `inbound.auth.type`: authorization `BASIC` is not supported",
            "property `synchronousResponse`",
            "property `correlationKeyExpression`: a boundary event needs a correlation key expression",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
    }

    #[test]
    fn hmac_problems() {
        let text = errors(
            ElementKind::StartEvent,
            &[("inbound.shouldValidateHmac", "enabled")],
        );
        assert!(
            text.contains("HMAC is enabled but no secret is set"),
            "{text}"
        );
        let text = errors(
            ElementKind::StartEvent,
            &[
                ("inbound.shouldValidateHmac", "enabled"),
                ("inbound.hmacSecret", "{{secrets.MISSING}}"),
            ],
        );
        assert!(text.contains("secret `MISSING` is not available"), "{text}");
        let text = errors(
            ElementKind::StartEvent,
            &[
                ("inbound.shouldValidateHmac", "enabled"),
                ("inbound.hmacSecret", "x"),
                ("inbound.hmacScopes", "=[\"url\",\"body\"]"),
            ],
        );
        assert!(text.contains("are not supported"), "{text}");
        let text = errors(
            ElementKind::StartEvent,
            &[
                ("inbound.shouldValidateHmac", "enabled"),
                ("inbound.hmacSecret", "x"),
                ("inbound.hmacAlgorithm", "md5"),
            ],
        );
        assert!(text.contains("unknown algorithm `md5`"), "{text}");
    }

    #[test]
    fn ids_must_fit_one_path_segment() {
        let mut r = raw(ElementKind::StartEvent, &[]);
        r.properties[1].1 = "a/b".into();
        let text = compile(&r, &feel::Engine::new(), &secrets())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("cannot appear in one URL path segment"),
            "{text}"
        );
        r.properties[1].1 = "  ".into();
        let text = compile(&r, &feel::Engine::new(), &secrets())
            .unwrap_err()
            .to_string();
        assert!(text.contains("not provided"), "{text}");
    }

    #[test]
    fn other_connector_types_are_refused() {
        let mut r = raw(ElementKind::StartEvent, &[]);
        r.properties[0].1 = "io.camunda:http-polling:1".into();
        let text = compile(&r, &feel::Engine::new(), &secrets())
            .unwrap_err()
            .to_string();
        assert!(text.contains("is not a webhook"), "{text}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_duration("P1DT30M"),
            Some(Duration::from_secs(86_400 + 1800))
        );
        assert_eq!(parse_duration("pt0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("PT0S"), Some(Duration::ZERO));
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("1H"), None);
        assert_eq!(parse_duration("PT1X"), None);
    }

    #[test]
    fn scopes_are_a_json_list() {
        assert_eq!(
            parse_scopes("=[\"url\",\"BODY\",\"parameters\"]"),
            Some(vec!["body".into(), "parameters".into(), "url".into()])
        );
        assert_eq!(parse_scopes("url"), None);
    }

    #[test]
    fn strip() {
        assert_eq!(strip_feel(" = a = b "), "a = b");
        assert_eq!(strip_feel("x"), "x");
    }
    /// Only the parts of `request` some expression can read get built.
    #[test]
    fn context_parts_follow_what_the_expressions_read() {
        use crate::webhooks::ContextParts as Parts;
        let parts = |kind, props: &[(&str, &str)]| ok(kind, props).context_parts;
        let body_only = [
            (
                "activationCondition",
                "=request.body.SmsStatus = \"received\"",
            ),
            ("resultExpression", "={from: request.body.From}"),
        ];
        assert_eq!(parts(ElementKind::StartEvent, &body_only), Parts::BODY);
        assert_eq!(
            parts(
                ElementKind::MessageStartEvent,
                &[(
                    "correlationKeyExpression",
                    "=get value(request.headers, \"x-key\")"
                )]
            ),
            Parts {
                headers: true,
                params: false
            }
        );
        assert_eq!(
            parts(
                ElementKind::StartEvent,
                &[("resultExpression", "={q: response.request.params.q}")]
            ),
            Parts {
                headers: false,
                params: true
            }
        );
        // The whole request passed on: everything.
        assert_eq!(
            parts(
                ElementKind::StartEvent,
                &[("inbound.responseExpression", "={body: string(request)}")]
            ),
            Parts::ALL
        );
        let mut with_variable = body_only.to_vec();
        with_variable.push(("resultVariable", "sms"));
        assert_eq!(parts(ElementKind::StartEvent, &with_variable), Parts::ALL);
    }
}
