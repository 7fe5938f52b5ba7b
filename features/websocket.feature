@websocket
Feature: Live order feed
  As the developer of a trading client
  I want every status change of every order pushed to me as it happens
  So that my client never has to poll for news

  Background:
    Given I am watching the order feed

  @smoke
  Scenario: The feed reports a new order as pending, then executed
    When I place an order for 10 of "EURUSD"
    Then the feed reports the order as pending, then executed
    And the feed's events agree with the order as the API reports it

  Scenario: Every connected client receives every event
    Given two more clients are watching the order feed
    When I place an order for 3 of "EURGBP"
    Then every client is told the order is pending, then executed

  Scenario: Nothing follows the cancellation of an order
    Given I have placed an order for 7 of "NZDUSD"
    When I cancel the order
    Then the feed reports the order as pending, then cancelled
    And nothing more is reported for the order past the longest execution delay

  Scenario: A client that subscribes late gets no replay of earlier events
    Given I have placed an order for 4 of "USDCAD"
    And the feed has reported the order as pending
    When another client starts watching the order feed
    And the order has been executed
    Then the late client is told only that the order was executed

  Scenario: Messages from a client are ignored
    Given I have sent a message on the feed
    When I place an order for 2 of "EURCHF"
    Then the feed reports the order as pending, then executed

  @negative
  Scenario: The feed address is not a web page
    When I open the feed address without asking for a WebSocket
    Then I am refused with a client error
