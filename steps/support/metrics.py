"""Reading the platform's `/metrics` page with prometheus-client's own parser
(the text format as Prometheus reads it), so the suite checks the page,
not a pattern of our own."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text):
    """Every sample of the page: {(name, frozenset of labels): value}.

    Raises ValueError (the parser's) when the page is not in the format."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(parsed, name, **labels):
    """The sum of a metric's samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(
        value
        for (sample_name, sample_labels), value in parsed.items()
        if sample_name == name and wanted <= sample_labels
    )
