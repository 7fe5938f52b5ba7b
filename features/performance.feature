@performance
Feature: Many orders at once
  As the operator of a trading client
  I want the platform to take a burst of orders in parallel
  So that a busy client is not slowed down to one order at a time

  The execution delay of an order, as a client sees it, runs from the arrival
  of its confirmation to the arrival of its EXECUTED event (one clock). The
  figures are printed on the console and attached to the HTML report.

  Background:
    Given I am watching the order feed

  Scenario: A burst of 100 orders is confirmed at once and every order is executed
    When I place 100 orders at the same moment
    Then every order is confirmed as pending
    And placing all of them took about one response delay, not the sum of them
    And the feed reports every order executed exactly once
    And every order's execution delay is within the expected range
