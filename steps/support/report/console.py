"""behave's console output in 120 columns, each feature's header once."""

from behave.formatter.pretty import PrettyFormatter


class ConsoleReport(PrettyFormatter):
    """behave's `pretty` output in lines of at most 120 columns, each
    feature's header printed once (behave 1.3.3 prints it again when a
    feature has a Background)."""

    width = 120
    # Location comments line up at this column at most, instead of after the
    # longest line of the scenario (an outline row's name can be long).
    comment_column = 76

    def background(self, background):
        """The Background's steps are printed with every scenario."""

    def calculate_location_indentations(self):
        widths = [len(f"{line.keyword} {line.name}") for line in [self.statement, *self.steps]]
        column = min(max(widths), self.comment_column)
        self.indentations = [max(0, column - width) for width in widths]

    def print_statement(self):
        if self.statement is not None:
            self._written = len(f"  {self.statement.keyword}: {self.statement.name} ")
        super().print_statement()

    def print_step(self, status, arguments, location, proceed):
        if self.steps:
            self._written = len(f"    {self.steps[0].keyword} {self.steps[0].name}")
        # behave prints "# None" for the steps a failure left unrun.
        super().print_step(status, arguments, location or "(not run)", proceed)

    def indented_text(self, text, proceed):
        """The location comment, left out where it would not fit the width."""
        comment = super().indented_text(text, proceed)
        return comment if self._written + len(comment) <= self.width else ""
