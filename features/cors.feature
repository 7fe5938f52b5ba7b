@cors
Feature: Pages on other origins (CORS)
  As the developer of a web trading client served from its own address
  I want the platform to tell browsers that my pages may use it
  So that my front end can place, read and cancel orders and follow the feed

  Before a page sends JSON or cancels an order, the browser asks the
  platform first (a preflight: OPTIONS with Origin and
  Access-Control-Request-Method), and it lets a page read an answer only
  when the answer names the page's origin. These scenarios check what the
  browser is told; browser.feature drives a real one. By default any origin
  is allowed; --cors-origins narrows that.

  @timing
  Scenario Outline: A page on another origin may <action>, and is told so at once
    When a page on another origin asks whether it may <action>
    Then the platform says yes at once, for the methods <methods>

    Examples:
      | action          | methods     |
      | place an order  | GET, POST   |
      | list the orders | GET, POST   |
      | read an order   | GET, DELETE |
      | cancel an order | GET, DELETE |

  @negative
  Scenario: An OPTIONS request that is not a browser's question is still a wrong method
    When a page on another origin sends OPTIONS to the orders without asking a browser's question
    Then I am refused with status 405 and told the allowed methods GET, POST

  Scenario: The API description tells front-end developers about the preflight
    When I fetch the OpenAPI document
    Then it is a valid OpenAPI 3 document
    And it tells front-end developers about the preflight, in prose rather than as an operation

  Scenario Outline: A page on another origin may read every answer: <answer>
    When a page on another origin <request>
    Then the page may read the answer, and its Location, Feed-Seq, Idempotent-Replayed and Retry-After headers

    Examples:
      | answer                | request                                       |
      | a new order           | places an order for 10 of "EURUSD"            |
      | an invalid order      | places an order for -1 of "EURUSD"            |
      | the list of orders    | lists the orders                              |
      | an unknown order      | reads an order that does not exist            |
      | a wrong method        | sends PUT to the orders                       |
      | the health check      | checks the platform's health                  |

  @platform
  Scenario Outline: With --cors-origins "<setting>", a page on <origin> is <verdict>
    Given a platform started with --cors-origins "<setting>"
    When a page on "<origin>" asks whether it may place an order
    Then the page is <verdict>

    Examples:
      | setting                                     | origin                | verdict |
      | http://localhost:3000                       | http://localhost:3000 | allowed |
      | http://localhost:3000,http://localhost:4000 | http://localhost:4000 | allowed |
      | http://localhost:3000                       | http://localhost:4000 | refused |
      | none                                        | http://localhost:3000 | refused |

  @platform @websocket
  Scenario Outline: A feed client connecting <origin> is <outcome>
    Given a platform started with --cors-origins "http://localhost:3000"
    When a feed client connects <origin>
    Then the feed client is <outcome>

    Examples:
      | origin                                 | outcome          |
      | from the origin "http://localhost:3000" | subscribed       |
      | from the origin "http://localhost:4000" | refused with 403 |
      | without an origin                      | subscribed       |
      | from the platform's own address        | subscribed       |

  @platform
  Scenario: A platform that allows no other origin does not offer the cors extension
    Given a platform started with --cors-origins "none"
    When I check the platform's health
    Then I am told it does not offer the cors extension
