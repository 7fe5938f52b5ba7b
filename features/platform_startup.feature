@platform
Feature: Starting the platform
  As an operator
  I want start-up problems stated in one line and the server's log in one format
  So that I can read what happened, and scripts can parse it

  @negative
  Scenario: The server does not start on a port that is already taken
    Given another program listens on a local port
    When I start the server on that port
    Then it stops with exit status 2 and one error line saying the address is already in use
    And it never claimed to be listening

  Scenario: Every line the server logs has one format
    Given a server of my own
    When I open the home page of my server and a page that does not exist
    And I stop my server
    Then every line it printed has the time in UTC, the level, the source and the message
