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

  Scenario: The watcher lines up events under a header row, quantities as the feed sent them
    Given the console watcher is following the feed
    And I am watching the order feed
    When I place an order for 1e-7 of "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    Then the watcher prints the order's pending event in the columns of its header row
    And the watcher shows the quantity exactly as the feed sent it

  @negative
  Scenario: The watcher waits for a server that is not there
    When I start the console watcher against an address where no server listens
    Then the watcher says, with the time, that the server is not reachable and it will try again
    And the watcher is still running

  @negative
  Scenario: The watcher stops at an address where there is no feed
    When I start the console watcher against a path of the platform that is not the feed
    Then the watcher stops with exit status 2 and one error line saying the server did not open the feed

  Scenario: After the server restarts, the watcher says events may have been missed
    Given a server of my own
    And the console watcher is following my server's feed
    When my server restarts
    Then the watcher says, with the time, that it is connected again and events may have been missed

  Scenario: The watcher stops when asked to
    Given the console watcher is following the feed
    When I ask the watcher to stop
    Then the watcher exits promptly
