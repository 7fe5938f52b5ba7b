@platform
Feature: Test reports served by the platform
  As a QA team
  I want the platform to serve a folder of test reports
  So that everyone can read the latest results in a browser

  Scenario: The reports page lists the reports
    Given a server that serves a reports folder holding "acceptance.html"
    When I open the reports page
    Then I see a web page that mentions "acceptance.html"

  Scenario: The reports page gives sizes in readable units and times in UTC
    Given a server in another time zone that serves a reports folder holding "acceptance.html" of 2,560 bytes
    When I open the reports page
    Then it lists "acceptance.html" as 2.5 KiB, written just now in UTC
    And it links to "acceptance.html" and back to the home page

  Scenario: A report is served from the reports folder
    Given a server that serves a reports folder holding "acceptance.html"
    When I open the report "acceptance.html"
    Then I get the content of "acceptance.html"

  @negative
  Scenario Outline: A path escaping the reports folder is not found: <path>
    Given a server that serves a reports folder holding "acceptance.html"
    When I request the path <path>
    Then I am told there is no such page, and nothing from outside the folder is shown

    Examples: Escape attempts
      | path                        |
      | /reports/../CONTRACT.md     |
      | /reports/%2e%2e/CONTRACT.md |
      | /reports/..%2fCONTRACT.md   |

  @negative
  Scenario: Without a reports folder there is no reports page
    When I open the reports page of the suite's own server
    Then I am told there is no such page
