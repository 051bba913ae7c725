//! Finding webhook elements in a BPMN file: every start event, intermediate
//! catch event, boundary event and receive task (also inside sub-processes)
//! whose `zeebe:properties` carry an `inbound.type`.

use std::collections::HashMap;
use std::path::Path;

use roxmltree::{Document, Node};

use super::{
    DefinitionError, DefinitionErrors, ElementKind, MessageRef, Origin, RawWebhook, Source,
};

/// The BPMN 2.0 model namespace.
pub const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";
/// Camunda's Zeebe extension namespace.
pub const ZEEBE_NS: &str = "http://camunda.org/schema/zeebe/1.0";

fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(ns)
}

fn children<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| is(*c, ns, name))
}

fn zeebe_attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attribute((ZEEBE_NS, name))
}

/// Parses a BPMN file; elements without `inbound.type` are not webhooks and
/// are skipped, connectors of another type too. Any broken element fails
/// the file.
pub fn parse(path: &Path, text: &str) -> Result<Vec<RawWebhook>, DefinitionErrors> {
    let (webhooks, errors) = read(&Source::File(path.to_owned()), text);
    if errors.is_empty() {
        Ok(webhooks)
    } else {
        Err(DefinitionErrors(errors))
    }
}

/// Reads the webhook elements of a BPMN document, and every element that is
/// broken beside them (a deployed definition keeps its good elements). For a
/// [`Source::Deployed`] definition only its own process is read, and the
/// webhooks carry its version and tenant.
pub fn read(source: &Source, text: &str) -> (Vec<RawWebhook>, Vec<DefinitionError>) {
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let error = DefinitionError::source(source, format!("not well-formed XML: {e}"));
            return (Vec::new(), vec![error]);
        }
    };
    let root = doc.root_element();
    if !is(root, BPMN_NS, "definitions") {
        let error = DefinitionError::source(
            source,
            "not a BPMN 2.0 document (the root must be bpmn:definitions)",
        );
        return (Vec::new(), vec![error]);
    }
    let (only_process, version, tenant_id) = match source {
        Source::File(_) => (None, -1, None),
        Source::Deployed(d) => (
            Some(d.process_id.as_str()),
            d.version,
            Some(d.tenant_id.clone()),
        ),
    };

    let messages: HashMap<&str, MessageRef> = children(root, BPMN_NS, "message")
        .filter_map(|m| {
            let id = m.attribute("id")?;
            let name = m.attribute("name").unwrap_or_default().trim().to_owned();
            let subscription_key = m
                .descendants()
                .find(|n| is(*n, ZEEBE_NS, "subscription"))
                .and_then(|s| s.attribute("correlationKey"))
                .map(str::to_owned);
            Some((
                id,
                MessageRef {
                    name,
                    subscription_key,
                },
            ))
        })
        .collect();

    let mut out = Vec::new();
    let mut errors = Vec::new();
    for process in children(root, BPMN_NS, "process") {
        let process_id = process.attribute("id").unwrap_or_default();
        if only_process.is_some_and(|only| only != process_id) {
            continue;
        }
        for node in process.descendants() {
            let tag = node.tag_name().name();
            if !node.is_element() || node.tag_name().namespace() != Some(BPMN_NS) {
                continue;
            }
            if !matches!(
                tag,
                "startEvent" | "intermediateCatchEvent" | "boundaryEvent" | "receiveTask"
            ) {
                continue;
            }
            let properties = properties(node);
            if !properties
                .iter()
                .any(|(n, v)| n == "inbound.type" && !v.trim().is_empty())
            {
                continue;
            }
            let element_id = node.attribute("id").unwrap_or("<no id>").to_owned();
            let line = doc.text_pos_at(node.range().start).row;
            let origin = Origin {
                source: source.clone(),
                element_id,
                line: Some(line),
            };

            let inbound_type = properties
                .iter()
                .find(|(n, _)| n == "inbound.type")
                .map(|(_, v)| v.trim())
                .unwrap_or_default();
            if inbound_type != super::WEBHOOK_TYPE {
                tracing::debug!(%origin, inbound_type, "skipping an inbound connector that is not a webhook");
                continue;
            }

            let message_ref = if tag == "receiveTask" {
                node.attribute("messageRef")
            } else {
                children(node, BPMN_NS, "messageEventDefinition")
                    .find_map(|d| d.attribute("messageRef"))
            };
            let has_message_definition = tag == "receiveTask"
                || children(node, BPMN_NS, "messageEventDefinition")
                    .next()
                    .is_some();
            let other_definition = node
                .children()
                .filter(|c| c.is_element() && c.tag_name().name().ends_with("EventDefinition"))
                .find(|c| c.tag_name().name() != "messageEventDefinition");

            let kind = match tag {
                "startEvent" if has_message_definition => ElementKind::MessageStartEvent,
                "startEvent" => ElementKind::StartEvent,
                "intermediateCatchEvent" => ElementKind::IntermediateCatchEvent,
                "boundaryEvent" => ElementKind::BoundaryEvent,
                _ => ElementKind::ReceiveTask,
            };
            if let Some(def) = other_definition {
                errors.push(DefinitionError::element(
                    &origin,
                    format!(
                        "a webhook {} cannot have a {}",
                        kind.label(),
                        def.tag_name().name()
                    ),
                ));
                continue;
            }
            if kind != ElementKind::StartEvent && !has_message_definition {
                errors.push(DefinitionError::element(
                    &origin,
                    format!(
                        "a webhook {} needs a message event definition",
                        kind.label()
                    ),
                ));
                continue;
            }
            let message = match message_ref {
                None if kind == ElementKind::StartEvent => None,
                None => {
                    errors.push(DefinitionError::element(
                        &origin,
                        "the element has no messageRef",
                    ));
                    continue;
                }
                Some(id) => match messages.get(id) {
                    Some(m) if !m.name.is_empty() => Some(m.clone()),
                    Some(_) => {
                        errors.push(DefinitionError::element(
                            &origin,
                            format!("message `{id}` has no name"),
                        ));
                        continue;
                    }
                    None => {
                        errors.push(DefinitionError::element(
                            &origin,
                            format!("messageRef `{id}` names no bpmn:message in this file"),
                        ));
                        continue;
                    }
                },
            };
            out.push(RawWebhook {
                origin,
                kind,
                process_id: process_id.to_owned(),
                version,
                tenant_id: tenant_id.clone(),
                message,
                properties,
            });
        }
    }
    (out, errors)
}

/// The element's own `zeebe:property` pairs, in document order (a property
/// without a value is dropped, as Camunda does).
fn properties(node: Node<'_, '_>) -> Vec<(String, String)> {
    children(node, BPMN_NS, "extensionElements")
        .flat_map(|ext| children(ext, ZEEBE_NS, "properties"))
        .flat_map(|props| children(props, ZEEBE_NS, "property"))
        .filter_map(|p| {
            Some((
                zeebe_attr(p, "name").or(p.attribute("name"))?.to_owned(),
                p.attribute("value")?.to_owned(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0">
  <bpmn:process id="p1">
    <bpmn:subProcess id="sub">
      <bpmn:intermediateCatchEvent id="catch">
        <bpmn:extensionElements><zeebe:properties>
          <zeebe:property name="inbound.type" value="io.camunda:webhook:1"/>
          <zeebe:property name="inbound.context" value="nested"/>
          <zeebe:property name="inbound.context"/>
        </zeebe:properties></bpmn:extensionElements>
        <bpmn:messageEventDefinition id="m" messageRef="Msg"/>
      </bpmn:intermediateCatchEvent>
    </bpmn:subProcess>
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><zeebe:properties>
        <zeebe:property name="inbound.type" value="io.camunda:webhook:1"/>
      </zeebe:properties></bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:startEvent id="plain"/>
    <bpmn:receiveTask id="other">
      <bpmn:extensionElements><zeebe:properties>
        <zeebe:property name="inbound.type" value="io.camunda:com.example:1"/>
      </zeebe:properties></bpmn:extensionElements>
    </bpmn:receiveTask>
  </bpmn:process>
  <bpmn:message id="Msg" name="reply"><bpmn:extensionElements><zeebe:subscription correlationKey="=phone"/></bpmn:extensionElements></bpmn:message>
</bpmn:definitions>"#;

    #[test]
    fn finds_nested_elements_and_messages() {
        let raws = parse(Path::new("t.bpmn"), DOC).unwrap();
        assert_eq!(raws.len(), 2);
        let catch = &raws[0];
        assert_eq!(catch.origin.element_id, "catch");
        assert_eq!(catch.kind, ElementKind::IntermediateCatchEvent);
        assert_eq!(catch.process_id, "p1");
        assert_eq!(catch.origin.line, Some(5));
        assert_eq!(
            catch.message,
            Some(MessageRef {
                name: "reply".into(),
                subscription_key: Some("=phone".into())
            })
        );
        assert_eq!(
            catch.properties.len(),
            2,
            "the value-less duplicate is dropped"
        );
        assert_eq!(raws[1].kind, ElementKind::StartEvent);
        assert_eq!(raws[1].message, None);
    }

    #[test]
    fn broken_documents_say_why() {
        let err = parse(Path::new("x.bpmn"), "<bpmn:definitions").unwrap_err();
        assert!(
            err.to_string().starts_with("x.bpmn: not well-formed XML"),
            "{err}"
        );
        let err = parse(Path::new("x.bpmn"), "<root/>").unwrap_err();
        assert!(err.to_string().contains("not a BPMN 2.0 document"), "{err}");
        let dangling = DOC.replace("messageRef=\"Msg\"", "messageRef=\"Nope\"");
        let err = parse(Path::new("x.bpmn"), &dangling).unwrap_err();
        assert!(err.to_string().contains("messageRef `Nope`"), "{err}");
    }
}
