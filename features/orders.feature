@orders
Feature: Placing and reading orders
  As a trader
  I want to place an order and follow it until it is executed
  So that I always know what the platform has done with my order

  Background:
    Given I am watching the order feed

  @smoke
  Scenario: A new order is confirmed as pending
    When I place an order for 10 of "EURUSD"
    Then the order is confirmed as pending
    And the confirmation tells where to find the order
    And the order was last updated when it was created

  @smoke
  Scenario: An order can be read back by its id
    Given I have placed an order for 25 of "GBPUSD"
    When I look up the order by its id
    Then I see the order as it was confirmed

  Scenario: The order list shows every order, oldest first
    Given I have placed an order for 1 of "USDJPY"
    And I have then placed another order for 2.5 of "USDCHF"
    When I list all orders
    Then I see both orders, the first one before the second

  Scenario: The order list keeps executed and cancelled orders
    Given I have placed an order for 1 of "EURUSD"
    And I have cancelled the order
    And I have then placed another order for 2 of "GBPUSD"
    And the order has been executed
    When I list all orders
    Then the list shows the first order as cancelled and the second as executed

  @smoke @timing
  Scenario: A pending order is executed after the execution delay
    Given I have placed an order for 5 of "AUDUSD"
    When the order has been executed
    Then the order reads back as executed
    And the order was executed one execution delay after it was created
