"""The suite's reports, registered by environment.py in place of behave's
`html` and `pretty` formatters:

- page.py: the HTML report (behave-html-formatter's page, corrected for
  behave 1.3), styled by report.css;
- text.py: what the page says of a description or a failure;
- run.py: what the hooks know about the run, for the page's header;
- chart.py: the SVG histogram that steps attach to the page;
- console.py: behave's console output in 120 columns.
"""
