"""The analyzers the API knows, each with its spec: the one source of truth of what it accepts.

The ``JobParams``/``JobResult`` oneofs define the set of analyzer names. Each built-in analyzer's
:class:`AnalyzerSpec` is declared here, in ``assay.common``, because two services need it and
neither may import the other: the jobs service checks every CreateJob (and so every
SubmitDocument) against it before anything is queued, and the analysis service's plugin uses the
very same object as its ``spec``, which ``ListAnalyzers`` serves. A limit therefore cannot say one
thing in ``GET /v1/analyzers`` and another at the door.

Adding an analyzer: add its params/result messages to the oneofs (``make proto``), declare its
spec below and add it to ``SPECS``, then set ``spec = SPECS["<name>"]`` on the plugin class.
``tests/unit/common/test_analyzer_specs.py`` fails while any of these steps is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor

from assay.v1 import job_pb2

ANALYZER_NAMES: tuple[str, ...] = tuple(
    field.name for field in job_pb2.JobParams.DESCRIPTOR.oneofs_by_name["analyzer_params"].fields
)
"""Every analyzer name the API accepts (the JobParams oneof's field names)."""

MIB = 1024 * 1024


def params_descriptor(name: str) -> Descriptor | None:
    """The params message of analyzer ``name`` (its ``JobParams`` oneof field), if the API knows it."""
    field = job_pb2.JobParams.DESCRIPTOR.fields_by_name.get(name)
    return field.message_type if field is not None else None


@dataclass(frozen=True)
class AnalyzerSpec:
    """Static description of an analyzer: served by ListAnalyzers, enforced by CreateJob."""

    name: str
    """Registered name, equal to the ``JobParams``/``JobResult`` oneof field, e.g. ``sentiment``."""
    version: str
    """Semantic version; recorded on every job the analyzer runs."""
    description: str
    """One sentence for clients."""
    accepted_media_types: tuple[str, ...] = ()
    """Media types of input files it reads, as ingest sniffs them (none: no files)."""
    accepts_text: bool = False
    """Whether inline ``JobInputs.text`` is accepted."""
    max_text_chars: int = 0
    """Inline text limit in characters (0: no inline text)."""
    max_input_bytes: int = 0
    """Per-file size limit (0: the platform's upload limit)."""
    max_files: int = 1
    """Most input files one job may name."""
    required_params: tuple[str, ...] = ()
    """Fields of the params message a job must set (to a non-default value)."""
    time_limit_seconds: float = 600.0
    """Wall-clock limit for one attempt; runaway work is ended after it."""
    inputs_from_dependencies: bool = False
    """Whether the only inputs are the results of the jobs in ``inputs.jobs``: a job then names at
    least one of them and no file or text (``accepted_media_types`` and ``accepts_text`` stay empty)."""
    reads_dependency_tables: bool = False
    """Whether the CSV artifacts of the jobs in ``inputs.jobs`` are inputs besides its files (index):
    a job may then name jobs and no file."""
    cacheable: bool = True
    """Whether a job's result depends on its analyzer version, params and input content alone, so a
    succeeded job can answer a later identical one (jobs' result cache); False for an analyzer whose
    work is a side effect (index writes a collection)."""
    batch_inline_text: bool = False
    """Whether a job with inline text only (no files, no dependencies) is small work: workers run
    such attempts in their own many slots (``ASSAY_WORKER_SMALL_CONCURRENCY``), several in one
    exchange with a warm analyzer process, instead of one per heavy slot."""

    def __post_init__(self) -> None:
        descriptor = params_descriptor(self.name)
        if descriptor is None:
            return  # a test or out-of-tree plugin the API does not name
        unknown = [p for p in self.required_params if p not in descriptor.fields_by_name]
        if unknown:
            raise ValueError(f"{self.name}: required_params {unknown} are not fields of {descriptor.full_name}")
        if self.inputs_from_dependencies and (self.accepted_media_types or self.accepts_text):
            raise ValueError(f"{self.name}: an analyzer whose inputs are its dependencies takes no file or text")

    def is_small(self, inputs: job_pb2.JobInputs) -> bool:
        """Whether a job with these inputs is small work: inline text only, of an analyzer that says so."""
        return self.batch_inline_text and bool(inputs.text) and not inputs.file_ids and not inputs.jobs

    @property
    def accepts_files(self) -> bool:
        return bool(self.accepted_media_types) and self.max_files > 0


SENTIMENT = AnalyzerSpec(
    name="sentiment",
    version="1.5.0",
    description=(
        "Labels review texts positive, negative, neutral or mixed with calibrated confidence "
        "(a learned model by default, or VADER with model=lexicon), optionally per aspect, for one "
        "text or a CSV, JSON or JSON Lines batch, with statistics and a scored CSV artifact."
    ),
    accepted_media_types=("text/csv", "application/json", "application/x-ndjson", "text/plain"),
    accepts_text=True,
    max_text_chars=512,
    max_input_bytes=10 * MIB,
    time_limit_seconds=1800.0,  # a 10 MB file of distinct short reviews takes minutes on the learned model
    batch_inline_text=True,  # one text of at most 512 characters: milliseconds
)

CONTRACT_REVIEW = AnalyzerSpec(
    name="contract_review",
    version="1.27.0",  # 1.27.0: one sentence limiting the processing ("only for the business purposes of providing
    # the Services") is no description of it; a description left to the "Principal Agreement" (main, master, services
    # agreement) is BY_REFERENCE; "(i)" under a lettered item that introduces it opens a roman list, so the
    # controller's warranties stay the controller's; "This DPA ... is designed
    # for ..." is no passive duty; playbooks 1.23.0: the measures sub-processors are made to take are no security of
    # the processor; how an audit is run and paid for grants none; data kept "until the Controller deletes it" is a
    # retention period, not deletion at the end of the services; where the data stays ("processed and stored within
    # the European Union", "never leaves the EU", "No transfers outside the EU/EEA") is a transfer term; making the
    # data available for export is the return's duty, so its negation is read; "not later than" is a deadline, as "no
    # later than" is; a vendor that declares itself the processor of the customer's data (also named as its domain,
    # "mvdm.io is the processor for ...") is not typed a controller's notice for being controller of its own;
    # access kept to its purpose ("for any reason other than ...") after a duty taken away is a scope, not a negation.
    # 1.26.0: a list
    # under a heading is introduced by that heading, not by the last sentence of the section before it; a run-in
    # title naming the controller is not the subject of the sentence after it; a pattern hit the requirement head
    # doubts stands when the main clause opens with the processor acting, is not negated and carries the
    # requirement's own duty.
    # 1.25.0: a "label" ending in a preposition ("Transfers out of the UK/EEA rely on:") is a
    # sentence, not a field label before a verbless value; a party's right to vary the terms ("We may ... make any
    # variations to this Addendum (including to the Standard Contractual Clauses)") is no term, and "without breach
    # of" the law after a permission no loophole; "there is no data to return" negates no deletion duty; a bullet
    # under a negated lead-in ("will not be required to: - Delete ...") is read with its negation; a duty named in
    # the condition that triggers it is read there when the main clause states the duty's act (the playbooks'
    # ``duty_in_condition`` now lists those acts), so "Where a breach is confirmed, X will notify the Customer" is
    # the breach notice and "When such transfers occur, X will ensure that appropriate safeguards are in place" a
    # transfer term; playbooks 1.21.0: requests "including access, correction, deletion, and objection" are data
    # subjects' requests; helping the controller meet its "notification obligations", assisting "with ... security
    # incidents" or "security inquiries", a "privacy impact assessment" and a hyphenated
    # "data-protection-impact-assessment" are Arts 32-36 assistance; a transfer "overseas" with the protection the
    # data keeps there is a transfer term; data made "available for export" is returned; "a conflict between
    # Customer's instructions and applicable law" is an infringing instruction.
    # 1.24.0: markdown's raw HTML blocks (a Hugo page's "<p>", "<h2>", "<ul>") are read as HTML,
    # each from its first line, as it interrupts a paragraph, and a clause number alone in its element numbers the
    # next element's text ("<div>4.1<div>text</div></div>");
    # "X processes Personal Data for which ... qualify as the Controller" names the processor; a bracketed term
    # that is neither made of the words before it nor a company's short name is no alias ("... under Data
    # Protection Laws ("Data Subject Requests")"), nor is a product's name a party; "we" before a word is a verb,
    # so "We tell the controller ..." is no verbless description; a modal in a relative clause ("what we can see")
    # is no permission; "never for our own purposes" after the duty and "unless a statutory retention obligation
    # applies" after its negation negate nothing and condition nothing; playbooks 1.20.0: "keep the measures listed
    # in Article 32" is security, notice of "any accidental, unauthorized, or unlawful processing of ... the Personal
    # Data" is breach notification, and a request from a data subject "reported" to the controller is assistance.
    # 1.23.0: when the first forty clauses name no processor, a role statement later in the
    # document does ("To the extent that X is acting as a Data Processor"); a party's name does not run back across
    # a full stop ("the Agreement. When Customer is acting as a processor"); the short name defined beside a role
    # ('("Processor" or "F7")') is an alias, a document named before a party's bracket is no party; typographic
    # ligatures ("conﬁdential") are read and quoted as their letters; a glossary under a numbered definitions
    # heading, a sentence that only says who is controller and who processor, the controller's duties after its
    # assent and a passive duty done to the data before it is sent are no processor's evidence; an inline
    # enumeration wrapped at a marker stays one clause; the controller's remedy after "or", "(without limitation)",
    # "This provision shall not apply to ..." and a use banned for a purpose negate no duty; playbooks 1.19.0: the
    # data kept "in confidence" is confidentiality, "will use reasonable" / "implements the following" technical and
    # organisational measures are security.
    # 1.22.0: a recital ("WHEREAS ...", under a "WHEREAS" heading) is no evidence, nor is a
    # precedence clause ("in case of conflict the SCCs prevail"), a reservation ("notification is not an
    # acknowledgement of fault") or a form field completed "as set forth in Annex II"; a Markdown heading line with
    # a verb but no modal ("### 8. Measures for ensuring physical security ... are processed") or closed by a full
    # stop ("### 4.1. Obligations.") is a heading, one stating a duty is a clause; a clause number in bold
    # ("**4.1**") numbers its clause; an item ending with a colon introduces the items under it marked otherwise,
    # and a stray line ending as an item does is no lead-in; a role said without an article ("will act as
    # processor") names the party, a controller's role in a relative clause ("data for which X is a controller")
    # does not; what a law does not require negates no duty; playbooks 1.18.0: an instruction that "does not
    # comply with" the law infringes it.
    # 1.21.0: an HTML page with no declared charset read as UTF-8; a street number is no clause,
    # a sentence-case Markdown heading and a reStructuredText "~~~" underline head their text; the value under a
    # heading naming an element of the processing's description is read after it; "are not sub-processors of X"
    # and no access to other customers' data in an audit negate no duty; "may not only" broadens a restriction
    # whose subject is the act; playbooks 1.17.0: transfers named by Chapter V / Arts 44-49, by where the data
    # stays and by the country left, "a duty of confidence", measures kept in Art. 32's words, notice before a
    # sub-processor is added, its use covered by a contract.
    # 1.20.0: the processor named in a heading in capitals ("... SCALINGO IS A PROCESSOR") or
    # by "X's ... obligations as a Processor", its role said beside its name ("As a Subcontractor, X") dropped; what
    # the processor is liable for is no duty; supplementary measures are a transfer term; information about a breach
    # is the breach notice; a "- - -" rule is no clause; "Term: means" and "refers to" define; a long all-bold line
    # is a heading; a subsequent processor is a sub-processor; playbooks 1.16.0: an instruction that may conflict
    # with the law is an infringing one, "strictly for the purpose" limits processing.
    # 1.19.0: a sentence read for several recognisers of a requirement is weighed with its
    # strongest reading; the warning about an infringing instruction is carried by its condition; playbooks 1.15.0:
    # the German model's internal organisation as security, "hand over" as return, "disclose" information, the SCCs'
    # "assist ... to notify the competent supervisory authority" as Arts 33-34 assistance; "may not
    # audit more than once annually" limits how often; fees already incurred are no price; duties placed on
    # sub-processors are the terms of engaging them.
    # 1.18.0: no negation of a duty is read in a relative clause opened by a preposition
    # ("in respect of which ... are not performed"), in discretion over which of two remedies or to keep compliance,
    # in a purpose clause of the controller's, in "not sell ... Information" (a noun, no duty verb) or in Art. 22's
    # right named alone; "is not entitled to retain a copy" bans retention; "The Data Controller shall" is the
    # controller's duty; "We implement ... measures:" is a statement, no field label; a list quoted in Markdown
    # ("> 1\\. Access") is read as a list, and a verbless line numbered "1." under a lead-in is its item, not a heading;
    # a term defined in bold ("**Data Subject(s)** means any ...") is a definition; "It is the responsibility of the
    # CONTROLLER:" introduces the controller's duties; "The Data Controller agrees X may engage ..." is X's permission;
    # 1.17.0: a list item is read with its lead-in also when numbered afresh, in lower case or
    # in outline ("H.1.a."), and a lead-in's negation and party go on into the item; "X processes ... on
    # Customer's behalf" and "X is its Processor" name the processor; 1.16.0: the head vetoes below
    # 0.30 (chosen on holdout11-12, never trained on), a run-in list's later limb is embedded with the words it
    # completes, and a lead-in's condition ("if it:") holds its items' negations; 1.15.0: a negated deletion keeps
    # Art. 28(3)(g)'s own legal exception, and plain words for a duty taken away are read ("shall not be under any
    # obligation to", "makes no commitment to"); 1.14.1: the head reads the embedder's layer-4 token states (same
    # verdicts, less CPU and memory); 1.14.0: the requirement head is all-MiniLM-L6-v2's top two layers fine-tuned per
    # requirement (requirement_head.npz), vetoing a requirement's primary evidence below 0.10 (elements in sentences
    # of their own are not its to veto); 1.13.0: numbered clauses
    # that complete a lead-in are its items ("Acme will: 3.1 **Title.** Process ...", "8.1 ... shall: 8.1.1 notify
    # ..."), and the first line of a wrapped clause is no heading (segment.py); 1.12.0: parties read however a document
    # names them (a role word its own role statement gives, "the Company shall be the Data Processor"; brand names in
    # lower case, "abcAssess", "moooon B.V."); what the controller's users or the vendor's customers may do binds no
    # processor; 1.11.0: the processor's own confidentiality read (and its negation); neighbouring sentences count as
    # the duty they carry (staff trained in the law, a legal requirement notified, sub-processor guarantees, accurate
    # questionnaires, SCC clauses cited as the source of another duty); 1.10.0: a Markdown heading line is a paragraph
    # of its own (segment.py); negations of duties worded as facts read at any similarity, and outweighed only by a
    # sentence that binds the processor (weighing.py); a price reserved for a duty, named rights and disclaimers are no
    # negation; attitude statements, glossary entries, governing law and measures described bind no processor to the
    # duty; a privacy notice meets no processor term (notice_scope.py); a processor named anywhere and a DPA annexed
    # type the document (document_type.py); 1.9.0: the processing details only from sentences that describe them
    # (description.py); negations read in more wordings and scopes (negation.py); more wordings and run-in list items
    # found, the quote that states the duty preferred among ties (matching.py); met duties with cost, scope or purpose
    # qualifiers not read as negated; cut requirements no longer held up by neighbouring duties or sentences that bind
    # no processor; 1.8.0: requirements found in more wordings (playbook vocabulary; the controller's assent to and
    # approval of sub-processors, obligation.py / binding.py); a negation of the requirement's own duty outweighs a
    # neighbouring sentence, and a negation after a leading condition is read (negation.py); a duty named but not stated
    # is not carried (duty.py), a pointer to the processing details is no description (sentence_kind.py, references.py),
    # a text that says it is no contract is no processor terms (document_type.py); 1.7.0: a restriction on the act, a
    # duty's gerund and the contract as the instructions bind the processor (binding.py); 1.6.0: evidence carries the
    # requirement's own duty (duty.py), binds the processor (binding.py); negations of any wording, another duty negated
    # beside the obligation is not its negation (negation.py)
    description=(
        "Checks a DPA, MSA or privacy notice (PDF, DOCX, HTML, markdown or text) against GDPR, UK GDPR, "
        "CCPA or CPA playbooks, quoting the clauses behind each finding."
    ),
    accepted_media_types=(
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/plain",
        "text/markdown",
        "text/html",
    ),
    accepts_text=True,
    max_text_chars=200_000,
    max_input_bytes=50 * MIB,
    required_params=("contract_type", "jurisdiction"),
    time_limit_seconds=600.0,
)

XML_TO_CSV = AnalyzerSpec(
    name="xml_to_csv",
    version="1.0.0",
    description=(
        "Converts an XML document or a ZIP of them into CSV tables, losslessly and streaming: records "
        "detected (or named by path), nested elements as dotted columns, attributes as @columns, "
        "repeated children as child tables or indexed columns, with a JSON manifest."
    ),
    accepted_media_types=("application/xml", "application/zip"),
    max_input_bytes=0,  # memory is flat in the file size: the platform's upload limit applies
    time_limit_seconds=3600.0,
)

COMPARE = AnalyzerSpec(
    name="compare",
    version="1.0.0",
    description=(
        "Compares two tabular datasets (CSV/TSV, XLSX, JSON Lines; the old one first) row by row: "
        "added, removed and changed rows by a given or detected key (or by content), schema "
        "differences, similarity scores and a diff CSV artifact."
    ),
    accepted_media_types=(
        "text/csv",
        "text/plain",  # a TSV or CSV whose head ingest saw no consistent delimiter in
        "application/x-ndjson",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    max_input_bytes=0,  # rows are partitioned to disk: the platform's upload limit applies
    max_files=2,
    time_limit_seconds=3600.0,
)

FINANCIAL_STATEMENTS = AnalyzerSpec(
    name="financial_statements",
    version="1.1.0",  # 1.1: OCR of pages without a text layer; one statement per type and scope
    description=(
        "Finds the primary financial statements (income, balance sheet, cash flow, comprehensive income, "
        "changes in equity) in a filing (PDF, scanned pages read by OCR; HTML, markdown, CSV or XLSX), extracts every "
        "line item as exact decimals per period with unit and currency, checks the totals, and writes a CSV "
        "per statement and a JSON of the result."
    ),
    accepted_media_types=(
        "application/pdf",
        "text/plain",  # HTML and markdown renderings of filings
        "application/xml",  # XHTML renderings
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    max_input_bytes=50 * MIB,
    time_limit_seconds=600.0,
)

BANK_STATEMENT = AnalyzerSpec(
    name="bank_statement",
    version="1.1.0",  # 1.1: OCR of pages without a text layer, XLSX exports
    description=(
        "Reads a bank statement (PDF, password-protected or not, scanned pages read by OCR; or a CSV or XLSX "
        "export) into "
        "its account, period, balances and every transaction, reconciles the balances, fingerprints and "
        "categorises the transactions, with a transactions CSV and a JSON artifact."
    ),
    accepted_media_types=("application/pdf", "text/csv", "text/plain",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    max_input_bytes=50 * MIB,
    time_limit_seconds=600.0,
)

CONSOLIDATE = AnalyzerSpec(
    name="consolidate",
    version="1.0.0",
    description=(
        "Consolidates the results of several financial_statements jobs (inputs.jobs: periods and filings of "
        "one company) into one statement per type: lines aligned across filings, restatements reported (the "
        "later filing wins), changes, CAGR and trends, with provenance per figure and an XLSX workbook of "
        "live formulas."
    ),
    max_files=0,
    inputs_from_dependencies=True,
    time_limit_seconds=600.0,
)

INDEX = AnalyzerSpec(
    name="index",
    version="1.1.0",
    description=(
        "Adds documents (PDF with a text layer, DOCX, markdown, HTML, text, CSV, and the CSV tables of its "
        "dependency jobs such as xml_to_csv or financial_statements) to a collection: structure-following "
        "chunks with page, paragraph and offsets, sentence embeddings and full text, for AskQuestion."
    ),
    accepted_media_types=(
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/plain",
        "text/markdown",
        "text/html",
        "text/csv",
    ),
    max_input_bytes=50 * MIB,
    max_files=20,
    required_params=("collection_id",),
    reads_dependency_tables=True,
    time_limit_seconds=1800.0,
    cacheable=False,  # its work is the chunks it writes, which a cached answer would not write
)

ASK = AnalyzerSpec(
    name="ask",
    version="1.0.0",
    description=(
        "Asks a collection every question of a CSV (a question column, optional per-row filter columns) as "
        "AskQuestion answers it, and writes the answers with their citations, score and no-answer flag to a CSV."
    ),
    accepted_media_types=("text/csv", "text/plain"),
    max_input_bytes=10 * MIB,
    required_params=("collection_id",),
    time_limit_seconds=1800.0,
)

SPECS: dict[str, AnalyzerSpec] = {
    spec.name: spec for spec in (
        SENTIMENT, CONTRACT_REVIEW, XML_TO_CSV, COMPARE, FINANCIAL_STATEMENTS, BANK_STATEMENT, CONSOLIDATE,
        INDEX, ASK,
    )
}
"""The spec of every built-in analyzer, by name."""
