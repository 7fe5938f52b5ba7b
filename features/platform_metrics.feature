@platform
Feature: Watching the platform's work from Prometheus
  As an operator running a load test against the platform
  I want its metrics in the format Prometheus scrapes
  So that I see how many orders it takes, how fast it answers, and its feed clients

  The page is read with the Prometheus client library's own parser.

  Scenario: The metrics page counts the orders placed
    Given a platform of my own
    When I place 3 orders there
    Then its metrics page counts 3 orders placed
    And it counts the 3 answers to placing an order, with their response times

  Scenario: The metrics page answers at once, even while every order request fails
    Given a platform of my own that refuses every order request
    When I open its metrics page
    Then it answers at once with the metrics

  Scenario: The metrics page counts the feed clients connected
    Given a platform of my own
    And 2 clients are watching its order feed
    When I open its metrics page
    Then it counts 2 feed clients connected

  @redis
  Scenario: Two workers sharing Redis report one sum
    Given a platform of my own with two workers sharing a Redis
    When I place 6 orders there, each on a new connection
    Then its metrics page counts 6 orders placed, whichever worker answers it
