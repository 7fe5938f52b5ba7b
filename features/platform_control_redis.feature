@platform @redis
Feature: Test control on a platform of several instances sharing Redis
  As a developer testing a trading client against a platform of several instances
  I want a control request sent to any one instance to steer all of them
  So that my tests see one platform, whichever instance they talk to

  The suite starts its own Redis and two instances of the platform on it,
  both offering test control. These scenarios are skipped when
  redis-server or the Redis client (requirements/redis.txt) is not installed.

  Background:
    Given two instances of the platform under test control share one Redis

  Scenario: A pause set through one instance holds orders pending on both
    Given execution is paused through the first instance
    And I have placed an order on the first instance for 1 of "FIRST"
    And I have placed an order on the second instance for 2 of "SECOND"
    When the longest execution delay has passed for both orders
    Then either instance reads both orders back as pending

  @websocket
  Scenario: An order executed through control is reported executed exactly once on every feed
    Given execution is paused through the first instance
    And I am watching the order feeds of both instances
    And I have placed an order on the second instance for 10 of "EURUSD"
    When I have the first instance execute the order now
    Then each feed reports the order as pending, then executed, exactly once

  @websocket
  Scenario: A reset through one instance empties both
    Given I have placed an order on the first instance for 1 of "FIRST"
    And I have placed an order on the second instance for 2 of "SECOND"
    And I am watching the order feeds of both instances
    When the platform is reset through the second instance
    Then neither instance lists any order
    And each feed is closed with the code that tells it to resynchronise
