@platform @websocket
Feature: Watching the feed on a console
  As an operator
  I want a console program that prints every order event as a line
  So that I can follow the platform live in a terminal

  Scenario: The watcher prints a line per event
    Given the console watcher is following the feed
    When I place an order for 12 of "EURJPY"
    Then the watcher prints the order's pending event with its details
    And the watcher prints the order's executed event with its details

  @negative
  Scenario: The watcher waits for a server that is not there
    When I start the console watcher against an address where no server listens
    Then the watcher says it will try again
    And the watcher is still running

  Scenario: The watcher stops when asked to
    Given the console watcher is following the feed
    When I ask the watcher to stop
    Then the watcher exits promptly
