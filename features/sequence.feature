@sequence @websocket
Feature: Numbered events and resuming the feed
  As the developer of a trading client
  I want every event numbered, and to pick the feed up where I left it
  So that my client neither misses nor repeats an event when its connection drops

  Scenario: Events are numbered one after another
    Given I am watching the order feed
    And I have placed an order for 3 of "SEQ"
    When I cancel the order
    Then the feed's events for the order are numbered one after the other

  Scenario: A client that reconnects with the last number it saw receives exactly what it missed
    Given I am watching the order feed
    And another client watches the order feed throughout
    And I have placed an order for 1 of "RESUME"
    And the feed has reported the order as pending
    When I lose my connection to the feed
    And orders are placed and cancelled while I am away
    And I reconnect to the feed with the last number I saw
    And another order is placed
    Then I receive exactly the events I missed, then the new ones, each once and in order

  Scenario: A client that took a snapshot and subscribed since it misses nothing while orders keep changing
    Given orders keep being placed and cancelled
    When I take a snapshot of all orders
    And I subscribe to the feed since that snapshot
    Then the snapshot and the events I receive add up to the orders as they are now

  Scenario: An order read back tells the feed number it reflects
    Given I am watching the order feed
    And I have placed an order for 2 of "SNAP"
    When I look up the order by its id
    Then the answer tells the number of the latest event it reflects

  @platform
  Scenario: A client too far behind sees the gap
    Given a platform without response or execution delays
    And I have seen the first event of its feed
    When more than 10,000 events happen while I am away
    And I reconnect to that platform's feed with the last number I saw
    Then the first event I receive is not the next number: I see the gap
    And from there I receive the latest 10,000 events or more, one after the other

  @negative
  Scenario Outline: A malformed resume point is refused
    When I ask to follow the feed since "<since>"
    Then I am refused with an error naming "since"

    Examples:
      | since |
      | -1    |
      | abc   |
      | 1.5   |
      |       |
