@platform @redis
Feature: One platform on several instances sharing Redis
  As an operator
  I want several instances of the platform to keep their orders in one Redis
  So that a load test or a team can outgrow one process and one machine
  and still see a single platform

  The suite starts its own Redis and two instances of the platform on it.
  These scenarios are skipped when redis-server or the Redis client
  (requirements/redis.txt) is not installed.

  Background:
    Given two instances of the platform share one Redis

  Scenario: An order placed on one instance is read and cancelled on the other
    Given I have placed an order on the first instance for 10 of "EURUSD"
    When I cancel the order on the second instance
    Then the cancellation is accepted
    And the first instance reads the order back as cancelled

  @websocket
  Scenario: A client of one instance receives the other instance's events
    Given I am watching the order feed of the first instance
    When I place an order on the second instance for 10 of "EURUSD"
    Then the feed reports the order as pending, then executed

  @websocket
  Scenario: An order is executed even when its instance dies before its time
    Given I am watching the order feed of the second instance
    And I have placed an order on the first instance for 10 of "EURUSD"
    When the first instance dies
    Then the feed reports the order executed once, at most a sweep after its time

  @negative
  Scenario: While Redis is down, the platform says it is unavailable
    When Redis goes down
    Then placing an order on either instance is refused as unavailable for now
    And the health check of either instance reports it unavailable

  Scenario: When Redis is back, the platform works again without a restart
    Given I am watching the order feed of the second instance
    And I have placed an order on the first instance for 10 of "EURUSD"
    And Redis has been down
    When Redis is back
    Then I can place orders on the second instance again
    And the feed reports the order executed once, at most a sweep after its time
