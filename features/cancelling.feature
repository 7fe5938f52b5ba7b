@cancelling
Feature: Cancelling orders
  As a trader
  I want to cancel an order before it is executed
  So that I can change my mind, and be told clearly when it is too late

  Background:
    Given I am watching the order feed

  @smoke
  Scenario: A pending order can be cancelled
    Given I have placed an order for 10 of "EURUSD"
    When I cancel the order
    Then the cancellation is accepted
    And the order reads back as cancelled

  Scenario: A cancelled order is never executed
    Given I have placed an order for 10 of "EURUSD"
    And I have cancelled the order
    When I watch the feed past the longest execution delay
    Then the order was never executed
    And the order reads back as cancelled

  @negative
  Scenario: An executed order cannot be cancelled
    Given I have placed an order for 10 of "EURUSD"
    And the order has been executed
    When I cancel the order
    Then I am told the order is already executed
    And the order reads back as executed

  @negative
  Scenario: An order cannot be cancelled twice
    Given I have placed an order for 10 of "EURUSD"
    And I have cancelled the order
    When I cancel the order
    Then I am told the order is already cancelled
    And the order reads back as cancelled

  @negative
  Scenario Outline: An unknown order is not found: <action> with <id>
    Given an order id that is <id>
    When I <action> the order with that id
    Then I am told there is no such order

    Examples: Reading
      | action  | id                                 |
      | look up | a UUID no order has                |
      | look up | not a UUID                         |
      | look up | a known order's id in other letters |

    Examples: Cancelling
      | action  | id                                 |
      | cancel  | a UUID no order has                |
      | cancel  | not a UUID                         |
      | cancel  | a known order's id in other letters |
