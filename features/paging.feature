@paging
Feature: Order lists in pages
  As the developer of a trading client
  I want to read the order list a page at a time, and only the orders of one status
  So that a platform holding many orders answers me quickly, in amounts I can handle

  A page holds at most the number of orders asked for, oldest first, and
  points to the next page while more remain. Other clients' orders may
  appear between mine: a shared platform is never empty.

  Background:
    Given I am watching the order feed
    And I remember where the order list ends

  Scenario: Following the pages shows each order once, in order, whatever its status
    Given I have placed an order for 1 of "EURUSD"
    And I have cancelled the order
    And I have then placed another order for 2 of "GBPUSD"
    And the order has been executed
    And I have then placed another order for 3 of "USDJPY"
    When I list the orders since then, 2 at a time
    Then no page holds more than 2 orders, and each but the last points to the next
    And I see each of my orders once, in the order I placed them, with its status now

  Scenario Outline: Only the <status> orders are listed when I ask for them
    Given I have placed an order that is now cancelled, one now executed and one still pending
    When I list the <status> orders since then
    Then I see only <status> orders, my <status> order among them

    Examples:
      | status    |
      | PENDING   |
      | EXECUTED  |
      | CANCELLED |

  @negative
  Scenario Outline: A list asked for with a malformed <parameter> is refused
    When I list the orders with <parameter> set to "<value>"
    Then I am told the list cannot be given, naming the <parameter>

    Examples:
      | parameter | value                                |
      | status    | executed                             |
      | status    | ALL                                  |
      | status    |                                      |
      | limit     | 0                                    |
      | limit     | 1001                                 |
      | limit     | ten                                  |
      | limit     | -1                                   |
      | after     | 5f0c3bb4-0000-4000-8000-000000000000 |
