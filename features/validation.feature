@validation @negative
Feature: Refusing invalid orders
  As a trader
  I want an invalid order to be refused with a message that names the problem
  So that I can fix my request, and no order I did not mean is ever placed

  Every refusal is an error {"code": <status>, "message": "..."}, and after it
  no order exists and no event was sent for what was refused. To look for a
  stray order without assuming the order book is empty, each scenario uses an
  instrument symbol and a quantity of its own: {symbol} and {quantity} in the
  bodies below stand for them.

  Background:
    Given I am watching the order feed

  Scenario Outline: An order with invalid stocks is refused: <problem>
    When I place an order with stocks <stocks>
    Then the order is refused with status 400 and a message naming "stocks"
    And no order was created and no event was sent

    Examples: Stocks rules
      | stocks                              | problem                  |
      | (missing)                           | missing                  |
      | ""                                  | empty                    |
      | "   "                               | only white space         |
      | "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456" | 33 characters, too long  |
      | 42                                  | a number, not a string   |
      | null                                | null                     |
      | ["EURUSD"]                          | an array, not a string   |

  Scenario Outline: An order with an invalid quantity is refused: <problem>
    When I place an order with quantity <quantity>
    Then the order is refused with status 400 and a message naming "quantity"
    And no order was created and no event was sent

    Examples: Quantity rules
      | quantity        | problem                          |
      | (missing)       | missing                          |
      | 0               | zero                             |
      | -1              | negative                         |
      | 1000000000.5    | above 1,000,000,000              |
      | 1e10            | far above the maximum            |
      | "10"            | a string, not a number           |
      | true            | true, a boolean, not a number    |
      | false           | false, a boolean, not a number   |
      | null            | null                             |
      | 1e999           | beyond a double's range          |
      | (5000 digits)   | a 5000-digit integer             |
      | -(5000 digits)  | a 5000-digit negative integer    |
      | (5000 digits).5 | a 5000-digit decimal             |

  Scenario Outline: An order with an unknown field is refused: <problem>
    When I send the order body <body>
    Then the order is refused with status 400 and a message naming "<field>"
    And no order was created and no event was sent

    @smoke
    Examples: Unknown fields
      | body                                                          | field | problem            |
      | {"stoks": "{symbol}", "quantity": {quantity}}                 | stoks | a typo of stocks   |
      | {"stocks": "{symbol}", "quantity": {quantity}, "price": 1.5} | price | a field too many   |

  Scenario Outline: A body that is not an order object is refused: <problem>
    When I send the order body <body>
    Then the order is refused with status 400
    And no order was created and no event was sent

    Examples: Malformed bodies
      | body                                              | problem               |
      | {"stocks": "{symbol}", "quantity": {quantity}     | truncated JSON        |
      | {"stocks": "{symbol}", "quantity": NaN}           | a NaN literal         |
      | {"stocks": "{symbol}", "quantity": Infinity}      | an Infinity literal   |
      | [{"stocks": "{symbol}", "quantity": {quantity}}]  | an array of the order |
      | "{symbol}"                                        | a JSON string         |
      | (empty)                                           | an empty body         |

  Scenario Outline: An order that is not sent as JSON is refused: <content type>
    When I send a valid order with the content type <content type>
    Then the order is refused with status 415
    And no order was created and no event was sent

    Examples: Content types
      | content type                     |
      | text/plain                       |
      | application/x-www-form-urlencoded |
      | application/json-patch+json      |
      | (none)                           |

  Scenario: An order body over 64 KiB is refused
    When I send a valid order padded to 65,537 bytes
    Then the order is refused with status 413
    And no order was created and no event was sent

  Scenario Outline: A known path does not accept <method> <path>
    When I send a valid order with <method> to <path>
    Then I am refused with status 405 and told the allowed methods <allowed>
    And no order was created and no event was sent

    Examples: Wrong methods
      | method | path          | allowed     |
      | PUT    | /orders       | GET, POST   |
      | DELETE | /orders       | GET, POST   |
      | PATCH  | /orders/{id}  | GET, DELETE |
      | POST   | /orders/{id}  | GET, DELETE |

  Scenario Outline: An unknown path is not found: <method> <path>
    When I send a valid order with <method> to <path>
    Then the order is refused with status 404
    And no order was created and no event was sent

    Examples: Unknown paths
      | method | path         |
      | POST   | /order       |
      | GET    | /trades      |

  Scenario Outline: An order at the edge of the rules is accepted: <boundary>
    When I place an order for <quantity> of <stocks>
    Then the order is confirmed as pending, exactly as sent

    Examples: Boundaries
      | stocks                             | quantity   | boundary                           |
      | "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" | 10         | 32 characters                      |
      | "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€" | 10         | 32 characters beyond ASCII         |
      | " eurUSD "                         | 10         | spaces and letter case kept        |
      | "EURUSD"                           | 1000000000 | the largest quantity               |
      | "EURUSD"                           | 1e9        | the largest quantity as 1e9        |
      | "EURUSD"                           | 0.5        | a fractional quantity              |

  Scenario: An order body of exactly 64 KiB is accepted
    When I send a valid order padded to 65,536 bytes
    Then the order is confirmed as pending, exactly as sent

  Scenario: A charset parameter on the JSON content type is accepted
    When I send a valid order with the content type application/json; charset=utf-8
    Then the order is confirmed as pending, exactly as sent
