#!/usr/bin/env python3
"""Validates FHIR R4 Bundles with an independent library: fhir.resources 6.1.0 (FHIR 4.0.1).

Usage: validate_fhir.py FILE.json...   Prints each problem; exits 1 if any file has one.

What is checked:
  1. fhir.resources parses the Bundle: structure (no unknown elements), cardinality, required
     elements, primitive formats (dates, ids, codes, URIs).
  2. What fhir.resources leaves out:
     - ele-1: no empty objects or arrays, no empty strings;
     - required value-set bindings of the elements Tend writes (statuses, gender, intents, ...);
     - code systems: every Coding has an absolute system and a code; LOINC, ICD-10-CM and SNOMED
       codes have their systems' shapes; HL7 terminology codes Tend writes are in their code
       systems;
     - the Bundle: type collection, unique fullUrls, every urn:uuid reference resolves;
     - US Core must-haves Tend's resources claim (Patient identifier + name + gender, Condition
       category + code, Observation category, CarePlan text + assess-plan category, ...).
Installed by `cargo xtask setup` (a venv in the tool cache, versions pinned in
scripts/fhir-requirements.txt).
"""

import json
import re
import sys

from fhir.resources import FHIRAbstractModel  # noqa: F401  (the R4 package's base: import check)
from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle

LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
THO = "http://terminology.hl7.org/CodeSystem/"

# Required bindings: (resourceType, path) -> allowed codes. Paths are dotted element names; a
# list on the way is walked item by item.
REQUIRED = {
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch",
                         "batch-response", "history", "searchset", "collection"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Patient", "telecom.system"): {"phone", "fax", "email", "pager", "url", "sms", "other"},
    ("Patient", "telecom.use"): {"home", "work", "temp", "old", "mobile"},
    ("Patient", "name.use"): {"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"},
    ("Patient", "contact.telecom.system"): {"phone", "fax", "email", "pager", "url", "sms", "other"},
    ("AllergyIntolerance", "reaction.severity"): {"mild", "moderate", "severe"},
    ("AllergyIntolerance", "criticality"): {"low", "high", "unable-to-assess"},
    ("MedicationStatement", "status"): {"active", "completed", "entered-in-error", "intended",
                                        "stopped", "on-hold", "unknown", "not-taken"},
    ("MedicationStatement", "dosage.timing.repeat.when"): {
        "MORN", "MORN.early", "MORN.late", "NOON", "AFT", "AFT.early", "AFT.late", "EVE",
        "EVE.early", "EVE.late", "NIGHT", "PHS", "HS", "WAKE", "C", "CM", "CD", "CV", "AC", "ACM",
        "ACD", "ACV", "PC", "PCM", "PCD", "PCV"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished",
                              "cancelled", "entered-in-error", "unknown"},
    ("Task", "status"): {"draft", "requested", "received", "accepted", "rejected", "ready",
                         "cancelled", "in-progress", "on-hold", "failed", "completed",
                         "entered-in-error"},
    ("Task", "intent"): {"unknown", "proposal", "plan", "order", "original-order",
                         "reflex-order", "filler-order", "instance-order", "option"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected",
                                "cancelled", "entered-in-error", "unknown"},
    ("QuestionnaireResponse", "status"): {"in-progress", "completed", "amended",
                                          "entered-in-error", "stopped"},
    ("Goal", "lifecycleStatus"): {"proposed", "planned", "accepted", "active", "on-hold",
                                  "completed", "cancelled", "entered-in-error", "rejected"},
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed",
                             "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("CarePlan", "activity.detail.status"): {"not-started", "scheduled", "in-progress", "on-hold",
                                             "completed", "cancelled", "stopped", "unknown",
                                             "entered-in-error"},
    ("ServiceRequest", "status"): {"draft", "active", "on-hold", "revoked", "completed",
                                   "entered-in-error", "unknown"},
    ("ServiceRequest", "intent"): {"proposal", "plan", "directive", "order", "original-order",
                                   "reflex-order", "filler-order", "instance-order", "option"},
    ("ServiceRequest", "priority"): {"routine", "urgent", "asap", "stat"},
    ("Coverage", "status"): {"active", "cancelled", "draft", "entered-in-error"},
    ("Consent", "status"): {"draft", "proposed", "active", "rejected", "inactive",
                            "entered-in-error"},
    ("EpisodeOfCare", "status"): {"planned", "waitlist", "active", "onhold", "finished",
                                  "cancelled", "entered-in-error"},
    ("EpisodeOfCare", "statusHistory.status"): {"planned", "waitlist", "active", "onhold",
                                                "finished", "cancelled", "entered-in-error"},
    ("CareTeam", "status"): {"proposed", "active", "suspended", "inactive", "entered-in-error"},
}

# HL7 terminology code systems Tend writes, with the codes they define (the ones that may occur).
THO_CODES = {
    THO + "condition-clinical": {"active", "recurrence", "relapse", "inactive", "remission",
                                 "resolved"},
    THO + "condition-ver-status": {"unconfirmed", "provisional", "differential", "confirmed",
                                   "refuted", "entered-in-error"},
    THO + "condition-category": {"problem-list-item", "encounter-diagnosis"},
    "http://hl7.org/fhir/us/core/CodeSystem/condition-category": {"health-concern",
                                                                  "problem-list-item",
                                                                  "encounter-diagnosis"},
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-category": {"sdoh"},
    THO + "allergyintolerance-clinical": {"active", "inactive", "resolved"},
    THO + "allergyintolerance-verification": {"unconfirmed", "confirmed", "refuted",
                                              "entered-in-error"},
    THO + "observation-category": {"social-history", "vital-signs", "imaging", "laboratory",
                                   "procedure", "survey", "exam", "therapy", "activity"},
    "http://hl7.org/fhir/us/core/CodeSystem/careplan-category": {"assess-plan"},
    THO + "goal-achievement": {"in-progress", "improving", "worsening", "no-change", "achieved",
                               "sustaining", "not-achieved", "no-progress", "not-attainable"},
    THO + "v3-ActCode": {"AMB", "EMER", "FLD", "HH", "IMP", "ACUTE", "NONAC", "OBSENC", "PRENC",
                         "SS", "VR", "OPTIN", "OPTOUT"},
    THO + "v2-0203": {"MR", "MC", "MA", "SS", "DL", "PPN", "MB", "SN", "PI", "AN", "PRN"},
    THO + "consentscope": {"adr", "research", "patient-privacy", "treatment"},
    THO + "provenance-participant-type": {"enterer", "performer", "author", "verifier", "legal",
                                          "attester", "informant", "custodian", "assembler",
                                          "composer"},
    THO + "coverage-class": {"group", "subgroup", "plan", "subplan", "class", "subclass",
                             "sequence", "rxbin", "rxpcn", "rxid", "rxgroup"},
    "http://unitsofmeasure.org": None,  # UCUM: any unit expression
    "http://terminology.hl7.org/CodeSystem/v2-0136": {"Y", "N"},
}

CODE_SHAPES = {
    LOINC: re.compile(r"^\d{1,7}-\d$"),
    ICD10CM: re.compile(r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"),
    SNOMED: re.compile(r"^\d{6,18}$"),
}

US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"


def walk(value, path=""):
    """Yields (path, value) for every node."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


def at(resource, dotted):
    """Every value at a dotted path, walking into lists."""
    values = [resource]
    for name in dotted.split("."):
        nxt = []
        for v in values:
            if isinstance(v, dict) and name in v:
                child = v[name]
                nxt.extend(child if isinstance(child, list) else [child])
        values = nxt
    return values


def codings(node):
    for path, v in walk(node):
        if isinstance(v, dict) and ("system" in v or "code" in v) and "resourceType" not in v:
            # A Coding (has code + maybe system), not an Identifier (system + value).
            if "value" in v and "code" not in v:
                continue
            if path.endswith("quantity") or path.endswith("numerator") or path.endswith("denominator"):
                continue
            yield path, v


def check_resource(res, where, problems):
    rtype = res.get("resourceType", "?")
    for path, v in walk(res):
        if v == "" or v == {} or v == []:
            problems.append(f"{where}: {path or rtype} is empty (ele-1)")
    for (rt, path), allowed in REQUIRED.items():
        if rt != rtype:
            continue
        for v in at(res, path):
            if v not in allowed:
                problems.append(f"{where}: {rtype}.{path} = {v!r} is not in its required value set")
    for path, c in codings(res):
        system, code = c.get("system"), c.get("code")
        if "quantity" in path.lower() or "dosePerPeriod" in path or "maxDosePerPeriod" in path:
            continue
        if not system or not code:
            problems.append(f"{where}: {rtype}.{path} Coding needs both system and code")
            continue
        if not re.match(r"^(https?://|urn:)", system):
            problems.append(f"{where}: {rtype}.{path} system {system!r} is not an absolute URI")
        shape = CODE_SHAPES.get(system)
        if shape and not shape.match(code):
            problems.append(f"{where}: {rtype}.{path} {code!r} is not a {system} code")
        if system in THO_CODES and THO_CODES[system] is not None and code not in THO_CODES[system]:
            problems.append(f"{where}: {rtype}.{path} {code!r} is not in {system}")
    us_core(res, rtype, where, problems)


def cats(res, field="category"):
    return {(c.get("system"), c.get("code")) for c in at(res, f"{field}.coding")}


US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
# The US Core profiles whose requirements this script checks (below); a resource claiming any
# other profile is reported, so a claim is never left unchecked.
US_CORE_CHECKED = {
    "Patient": "us-core-patient",
    "Condition": "us-core-condition-problems-health-concerns",
    "AllergyIntolerance": "us-core-allergyintolerance",
    "Goal": "us-core-goal",
    "CarePlan": "us-core-careplan",
    "CareTeam": "us-core-careteam",
}


def us_core(res, rtype, where, problems):
    def need(cond, what):
        if not cond:
            problems.append(f"{where}: {rtype} {what} (US Core)")

    for claimed in res.get("meta", {}).get("profile", []):
        if claimed != US_CORE + US_CORE_CHECKED.get(rtype, "?"):
            problems.append(f"{where}: {rtype} claims {claimed}, which this validator does not check")
    if rtype == "Goal":
        need(res.get("lifecycleStatus"), "needs a lifecycleStatus")
        need(all(t.get("dueDate") or t.get("dueDuration") for t in res.get("target", [])) or
             res.get("startDate") or not res.get("target"), "target needs a due date or the goal a start date")
    if rtype == "CareTeam":
        need(res.get("participant"), "needs a participant")
        for p in res.get("participant", []):
            need(p.get("role") and p.get("member"), "participant needs a role and a member")
    if rtype == "Patient":
        for n in res.get("name", []):
            need(n.get("family") or n.get("given") or n.get("text"), "name needs a family or given name")
        for i in res.get("identifier", []):
            need(i.get("system") and i.get("value"), "identifier needs a system and a value")

    if rtype == "Patient":
        need(res.get("identifier"), "needs an identifier")
        need(res.get("name"), "needs a name")
        need(res.get("gender"), "needs a gender")
        for ext in res.get("extension", []):
            if ext.get("url") == US_CORE_BIRTHSEX:
                need(ext.get("valueCode") in {"F", "M", "UNK"}, "birthsex must be F, M or UNK")
    elif rtype == "Condition":
        need(res.get("category"), "needs a category")
        need(res.get("code"), "needs a code")
        vs = {c.get("code") for c in at(res, "verificationStatus.coding")}
        if "entered-in-error" not in vs:
            need(res.get("clinicalStatus"), "needs a clinicalStatus (con-3)")
    elif rtype == "AllergyIntolerance":
        vs = {c.get("code") for c in at(res, "verificationStatus.coding")}
        if "refuted" in vs:
            need(not res.get("clinicalStatus"), "refuted must have no clinicalStatus (ait-2)")
        else:
            need(res.get("clinicalStatus"), "needs a clinicalStatus (ait-1)")
        need(res.get("code"), "needs a code")
    elif rtype == "Observation":
        need(res.get("category"), "needs a category")
        need(res.get("subject"), "needs a subject")
        need(res.get("effectiveDateTime") or res.get("effectivePeriod"), "needs an effective time")
    elif rtype == "CarePlan":
        need(res.get("text", {}).get("div"), "needs narrative text")
        need(("http://hl7.org/fhir/us/core/CodeSystem/careplan-category", "assess-plan") in cats(res),
             "needs category assess-plan")
    elif rtype == "Goal":
        need(res.get("description"), "needs a description")
        need(res.get("subject"), "needs a subject")
    elif rtype in ("MedicationStatement", "Encounter", "Task", "ServiceRequest",
                   "QuestionnaireResponse", "CareTeam"):
        subj = res.get("subject") or res.get("for")
        need(subj, "needs a subject")


def validate(path):
    problems = []
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return [f"{path}: cannot read as JSON: {e}"]
    try:
        Bundle.parse_obj(data)
    except Exception as e:  # pydantic's ValidationError lists every problem
        problems.append(f"{path}: fhir.resources {__fhir_version__} rejects it:\n{e}")
    if data.get("resourceType") != "Bundle":
        return problems + [f"{path}: not a Bundle"]
    if data.get("type") != "collection":
        problems.append(f"{path}: Bundle.type is {data.get('type')!r}, not collection")
    check_resource({k: v for k, v in data.items() if k != "entry"}, f"{path} Bundle", problems)
    urls = [e.get("fullUrl") for e in data.get("entry", [])]
    if len(urls) != len(set(urls)) or None in urls:
        problems.append(f"{path}: every entry needs its own fullUrl")
    known = set(urls)
    for i, entry in enumerate(data.get("entry", [])):
        res = entry.get("resource", {})
        where = f"{path} entry {i} ({res.get('resourceType', '?')})"
        check_resource(res, where, problems)
        for p, v in walk(res):
            if p.endswith("reference") and isinstance(v, str) and v.startswith("urn:uuid:"):
                if v not in known:
                    problems.append(f"{where}: {p} {v} is not in the Bundle")
    return problems


def main(argv):
    if __fhir_version__ != "4.0.1":
        print(f"fhir.resources is FHIR {__fhir_version__}, not R4 4.0.1", file=sys.stderr)
        return 2
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path in argv:
        problems = validate(path)
        if problems:
            failed = True
            print(f"INVALID {path}")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"valid FHIR R4 {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
