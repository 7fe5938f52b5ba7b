@idempotency
Feature: Safe retries of an order
  As the developer of a trading client
  I want to retry an order whose answer I did not get, without placing it twice
  So that a timeout never doubles a position

  # It counts the server's "RETRY" orders: no other scenario may place one
  # meanwhile (with workers sharing a server at API_URL, the parallel runner
  # runs @exclusive scenarios alone).
  @exclusive
  Scenario: A retried order is placed once
    Given I am watching the order feed
    And I have placed an order for 5 of "RETRY" with a retry key
    When I send the same order again with the same key
    Then I am answered exactly as the first time, marked as a replay
    And only one order was placed for that key

  Scenario: A retry may write the same quantity differently
    Given I have placed an order for 5 of "RETRY" with a retry key
    When I send an order for 5.0 of "RETRY" with the same key
    Then I am answered exactly as the first time, marked as a replay

  Scenario: A changed retry is refused
    Given I have placed an order for 5 of "RETRY" with a retry key
    When I send an order for 6 of "RETRY" with the same key
    Then I am told the key was used for another order

  Scenario: A concurrent retry is refused
    Given I am watching the order feed
    When I send an order with a retry key twice at the same moment
    Then one of them is placed and the other is told the first is still being answered
    And only one order was placed for that key

  Scenario: A refused order leaves its key free
    Given I have sent an order without a quantity with a retry key
    When I send an order for 5 of "RETRY" with the same key
    Then the order is confirmed as pending, exactly as sent
    And it is not marked as a replay

  @negative
  Scenario Outline: A malformed retry key is refused
    When I place an order with <key> as its retry key
    Then the order is refused with status 400 and a message naming "Idempotency-Key"

    Examples:
      | key                       |
      | an empty key              |
      | a key of 256 characters   |
      | a key with a space        |
      | a key with an accented letter |
