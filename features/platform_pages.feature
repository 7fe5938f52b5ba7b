@platform
Feature: Pages for people who open the platform in a browser
  As a developer trying the platform for the first time
  I want its address to lead me somewhere useful
  So that I find the documentation, the feed and the reports without reading the code

  Scenario: The home page points to the live orders, the API's documentation, the feed and the health check
    When I open the home page
    Then I see a web page that mentions "Simulated trading platform"
    And it links to the live orders, the documentation, the OpenAPI document, the health check and the metrics
    And it gives the feed's address
    And it does not mention test reports

  Scenario: The home page points to the test reports when they are published
    Given a server that serves a reports folder holding "acceptance.html"
    When I open that server's home page
    Then it links to the test reports

  @negative
  Scenario: An unknown path is not found, and the answer names it
    When I request the page /no-such-page
    Then I am told there is no such page at /no-such-page

  Scenario: A browser asking for the site icon is not told the page is missing
    When a browser asks for the site icon
    Then it is told there is no icon, without an error
